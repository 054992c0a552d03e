import Foundation
import GRDB

/// `SessionStore` on one SQLite file (WAL, `synchronous=FULL`), shared by every agent (D-8).
///
/// GRDB runs every statement on its own serial writer queue, so callers on NIO event loops
/// only await; nothing here blocks them.
public final class SQLiteSessionStore: SessionStore {
    private let writer: any DatabaseWriter
    private let committer: TurnCommitter

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL + FULL: each committed turn is on disk before `appendTurn` returns (set again
            // on the writer below, after GRDB's WAL set-up).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Read database pages through a memory map: a reader's page cache is emptied whenever
            // another connection has written, so every history read otherwise re-reads its pages.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            if !db.configuration.readonly {
                // The writer's page cache holds a whole group commit (up to hundreds of turns,
                // each touching a few random index pages) without spilling to the WAL mid-transaction.
                try db.execute(sql: "PRAGMA cache_size = -32768")
                // Checkpoint less often: pages written by many turns (index interiors, table
                // tails) are then copied into the database once instead of once per 1,000 frames.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
            }
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB switches the writer to `synchronous = NORMAL` when it enables WAL, after
        // `prepareDatabase` ran: without this, commits were not synced to disk (only checkpoints).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.writer = pool
        self.committer = TurnCommitter(writer: writer)
        try Self.migrator.migrate(writer)
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL), for tests.
    public func writerSynchronousMode() async throws -> Int {
        try await writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// An in-memory store, for tests of code above the store.
    public init() throws {
        self.writer = try DatabaseQueue()
        self.committer = TurnCommitter(writer: writer)
        try Self.migrator.migrate(writer)
    }

    /// The tables and indexes as they are now (a new database gets them at once, an older one
    /// through the migrations below). A turn writes one WAL page per B-tree it touches, and
    /// they are kept few:
    /// - `session` and `sessionKey` are WITHOUT ROWID tables: their text primary key is the
    ///   table's own B-tree, not a unique index beside a rowid table;
    /// - `message.id` is a plain INTEGER PRIMARY KEY, not AUTOINCREMENT, which updates
    ///   `sqlite_sequence` on every insert (nothing deletes messages, so ids only grow);
    /// - `message.entryId` has no UNIQUE index: it is a fresh random id, never looked up;
    /// - `message_session_order (sessionId, id)` serves every lookup by session (and the cascade
    ///   on delete), `sessionKey_on_sessionId` the cascade from `session`.
    /// A new session's first turn writes 5–7 pages (9–11 before v4).
    static let currentSchema = """
        CREATE TABLE session (
          id TEXT NOT NULL PRIMARY KEY,
          key TEXT NOT NULL,
          agentId TEXT NOT NULL,
          createdAt DATETIME NOT NULL,
          updatedAt DATETIME NOT NULL,
          inputTokens INTEGER NOT NULL DEFAULT 0,
          outputTokens INTEGER NOT NULL DEFAULT 0,
          totalTokens INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE sessionKey (
          key TEXT NOT NULL PRIMARY KEY,
          sessionId TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX sessionKey_on_sessionId ON sessionKey(sessionId);
        CREATE TABLE message (
          id INTEGER PRIMARY KEY,
          sessionId TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE,
          entryId TEXT NOT NULL,
          role TEXT NOT NULL,
          content TEXT NOT NULL,
          extra TEXT,
          createdAt DATETIME NOT NULL
        );
        CREATE INDEX message_session_order ON message(sessionId, id);
        """

    /// Migrations run in order on a database that has not seen them. A new database gets the
    /// current schema from `v1` (its first version was rewritten when `v4` came; databases that
    /// ran the first version have it recorded and go through `v2`–`v4`), and `v2`–`v4` find
    /// nothing left to do. Running the v4 rebuild at every first start instead cost ~1.7 MiB of
    /// idle RSS (SQLite's schema-rewriting code and memory).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-sessions") { db in
            try db.execute(sql: currentSchema)
        }
        migrator.registerMigration("v2-drop-redundant-index") { db in
            // Before v4, a first version of v1 made a single-column `message(sessionId)` index
            // beside `message_session_order (sessionId, id)`: it only cost a page write per message.
            try db.execute(sql: "DROP INDEX IF EXISTS message_on_sessionId")
        }
        migrator.registerMigration("v3-drop-unused-session-key-index") { db in
            // Sessions are found by key through `sessionKey` (its primary key); nothing reads
            // `session` by `key`, so that first version's index only cost a B-tree insert per new session.
            try db.execute(sql: "DROP INDEX IF EXISTS session_on_key")
        }
        migrator.registerMigration("v4-fewer-b-trees-per-turn") { db in
            // The tables of the first v1 are rebuilt as `currentSchema` (SQLite cannot alter
            // them in place); foreign keys are checked once at the end (GRDB's deferred checks).
            let sessionSQL = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'session'") ?? ""
            guard !sessionSQL.contains("WITHOUT ROWID") else { return }
            try db.execute(
                sql: """
                    ALTER TABLE session RENAME TO session_v3;
                    ALTER TABLE sessionKey RENAME TO sessionKey_v3;
                    ALTER TABLE message RENAME TO message_v3;
                    DROP INDEX IF EXISTS sessionKey_on_sessionId;
                    DROP INDEX IF EXISTS message_session_order;
                    """)
            try db.execute(sql: currentSchema)
            try db.execute(
                sql: """
                    INSERT INTO session (id, key, agentId, createdAt, updatedAt, inputTokens, outputTokens, totalTokens)
                      SELECT id, key, agentId, createdAt, updatedAt, inputTokens, outputTokens, totalTokens FROM session_v3;
                    INSERT INTO sessionKey (key, sessionId) SELECT key, sessionId FROM sessionKey_v3;
                    INSERT INTO message (id, sessionId, entryId, role, content, extra, createdAt)
                      SELECT id, sessionId, entryId, role, content, extra, createdAt FROM message_v3;
                    DROP TABLE message_v3;
                    DROP TABLE sessionKey_v3;
                    DROP TABLE session_v3;
                    """)
        }
        return migrator
    }

    public func history(sessionKey: String, limit: Int) async throws -> [TranscriptMessage] {
        try await writer.read { db in
            guard let sessionId = try Self.currentSessionId(db, key: sessionKey) else { return [] }
            let statement = try db.cachedStatement(
                sql: "SELECT * FROM message WHERE sessionId = ? ORDER BY id DESC LIMIT ?")
            let rows = try MessageRecord.fetchAll(statement, arguments: [sessionId, limit])
            return try rows.reversed().map { try $0.message() }
        }
    }

    @discardableResult
    public func appendTurn(_ turn: SessionTurn) async throws -> SessionSummary {
        let records = turn.messages.map(MessageRecord.init)
        // Part of a group transaction (see TurnCommitter): stored whole or not at all, and
        // committed (on disk) before this returns.
        return try await committer.commit { db in
            let now = Date()
            if let id = try Self.currentSessionId(db, key: turn.sessionKey),
                var session = try SessionRecord.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM session WHERE id = ?"), arguments: [id])
            {
                session.updatedAt = now
                session.inputTokens += turn.usage.inputTokens
                session.outputTokens += turn.usage.outputTokens
                session.totalTokens += turn.usage.totalTokens
                try db.cachedStatement(
                    sql: """
                        UPDATE session SET updatedAt = ?, inputTokens = ?, outputTokens = ?, totalTokens = ? \
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    StoredDate.text(session.updatedAt), session.inputTokens, session.outputTokens, session.totalTokens,
                    session.id,
                ])
                try Self.insert(records, sessionId: session.id, db)
                return try Self.summary(db, session)
            }
            // A new session is inserted with its first turn's totals (no separate update).
            let session = SessionRecord(
                id: RandomID.uuidString(), key: turn.sessionKey, agentId: turn.agentId,
                createdAt: now, updatedAt: now, inputTokens: turn.usage.inputTokens,
                outputTokens: turn.usage.outputTokens, totalTokens: turn.usage.totalTokens)
            try db.cachedStatement(
                sql: """
                    INSERT INTO session (id, key, agentId, createdAt, updatedAt, inputTokens, outputTokens, totalTokens) \
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                session.id, session.key, session.agentId, StoredDate.text(session.createdAt),
                StoredDate.text(session.updatedAt), session.inputTokens,
                session.outputTokens, session.totalTokens,
            ])
            try Self.point(turn.sessionKey, at: session.id, db)
            try Self.insert(records, sessionId: session.id, db)
            return Self.summary(session, messageCount: records.count)
        }
    }

    public func session(key: String) async throws -> SessionSummary? {
        try await writer.read { db in
            guard let id = try Self.currentSessionId(db, key: key),
                let session = try SessionRecord.fetchOne(db, key: id)
            else { return nil }
            return try Self.summary(db, session)
        }
    }

    public func sessions(limit: Int) async throws -> [SessionSummary] {
        try await writer.read { db in
            let sessions = try SessionRecord
                .filter(sql: "id IN (SELECT sessionId FROM sessionKey)")
                .order(Column("updatedAt").desc)
                .limit(limit)
                .fetchAll(db)
            return try sessions.map { try Self.summary(db, $0) }
        }
    }

    public func reset(key: String) async throws -> Bool {
        try await writer.write { db in
            guard let id = try Self.currentSessionId(db, key: key),
                let old = try SessionRecord.fetchOne(db, key: id)
            else { return false }
            let now = Date()
            let fresh = SessionRecord(
                id: RandomID.uuidString(), key: key, agentId: old.agentId, createdAt: now, updatedAt: now,
                inputTokens: 0, outputTokens: 0, totalTokens: 0)
            try fresh.insert(db)
            try Self.point(key, at: fresh.id, db)
            return true
        }
    }

    /// Every message of the key's current session, oldest first (for export).
    public func transcript(sessionKey: String) async throws -> [TranscriptMessage] {
        try await history(sessionKey: sessionKey, limit: Int.max)
    }

    /// Makes `sessionId` the current session of `key`. (Not GRDB's `upsert`: it asks for the
    /// `rowid`, which a WITHOUT ROWID table does not have.)
    private static func point(_ key: String, at sessionId: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO sessionKey (key, sessionId) VALUES (?, ?) \
                ON CONFLICT(key) DO UPDATE SET sessionId = excluded.sessionId
                """
        ).execute(arguments: [key, sessionId])
    }

    private static func currentSessionId(_ db: Database, key: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT sessionId FROM sessionKey WHERE key = ?"), arguments: [key])
    }

    private static func insert(_ records: [MessageRecord], sessionId: String, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO message (sessionId, entryId, role, content, extra, createdAt) VALUES (?, ?, ?, ?, ?, ?)")
        for record in records {
            try statement.execute(arguments: [
                sessionId, record.entryId, record.role, record.content, record.extra, StoredDate.text(record.createdAt),
            ])
        }
    }

    private static func summary(_ db: Database, _ s: SessionRecord) throws -> SessionSummary {
        let count =
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM message WHERE sessionId = ?"), arguments: [s.id]) ?? 0
        return summary(s, messageCount: count)
    }

    private static func summary(_ s: SessionRecord, messageCount count: Int) -> SessionSummary {
        SessionSummary(
            key: s.key, sessionId: s.id, agentId: s.agentId, createdAt: s.createdAt, updatedAt: s.updatedAt,
            usage: StoredUsage(inputTokens: s.inputTokens, outputTokens: s.outputTokens, totalTokens: s.totalTokens),
            messageCount: count)
    }
}
