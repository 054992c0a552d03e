import Foundation
import GRDB
@testable import SessionStore
import Testing

/// D-8, S1, S2: sessions and transcripts in one SQLite file.
@Suite struct SQLiteSessionStoreTests {
    @Test("D-8: the writer syncs every commit (synchronous = FULL survives GRDB's WAL set-up)")
    func writerIsDurable() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            #expect(try await store.writerSynchronousMode() == 2)
        }
    }

    @Test("D-8: turns appended concurrently are each stored whole (group commit)")
    func concurrentTurns() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let summary = try await store.appendTurn(simpleTurn(key: "k\(i % 5)", user: "u\(i)", assistant: "r\(i)"))
                        #expect(summary.messageCount >= 2)
                    }
                }
                try await group.waitForAll()
            }
            for k in 0..<5 {
                let history = try await store.history(sessionKey: "k\(k)", limit: 100)
                #expect(history.count == 20)
                #expect(history.map(\.role) == Array(repeating: [TranscriptMessage.Role.user, .assistant], count: 10).flatMap { $0 })
                let summary = try await store.session(key: "k\(k)")
                #expect(summary?.messageCount == 20)
            }
        }
    }

    @Test("S2: appendTurn then history returns every field of every message, oldest first")
    func roundTrip() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let created = Date(timeIntervalSince1970: 1_750_000_000.25)
            let messages = [
                TranscriptMessage(role: .user, content: "what's the weather?", createdAt: created),
                TranscriptMessage(
                    role: .assistant, content: "",
                    toolCalls: [StoredToolCall(id: "call_1", name: "weather", arguments: #"{"city":"Oslo"}"#)],
                    model: "openai/gpt-4.1-mini", usage: StoredUsage(inputTokens: 10, outputTokens: 3, totalTokens: 13),
                    createdAt: created),
                TranscriptMessage(
                    role: .toolResult, content: "rain", toolCallId: "call_1", toolName: "weather", isError: true,
                    createdAt: created),
                TranscriptMessage(
                    role: .assistant, content: "It rains.", model: "openai/gpt-4.1-mini",
                    usage: StoredUsage(inputTokens: 20, outputTokens: 4, totalTokens: 24), createdAt: created),
            ]
            let summary = try await store.appendTurn(
                SessionTurn(
                    sessionKey: "agent:main:openai-user:alice", agentId: "main", messages: messages,
                    usage: StoredUsage(inputTokens: 30, outputTokens: 7, totalTokens: 37)))
            #expect(summary.key == "agent:main:openai-user:alice")
            #expect(summary.agentId == "main")
            #expect(summary.messageCount == 4)

            let history = try await store.history(sessionKey: "agent:main:openai-user:alice", limit: 100)
            #expect(history.map(MessageFields.init) == messages.map(MessageFields.init))
            #expect(history.map(\.role) == [.user, .assistant, .toolResult, .assistant])
            for message in history {
                #expect(abs(message.createdAt.timeIntervalSince(created)) < 0.002)
            }
        }
    }

    @Test("S2: tool call ids, names and arguments, tool names and models keep every character (quotes, escapes, control characters, non-ASCII)")
    func metadataKeepsEveryCharacter() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let odd = "q\"b\\s/n\nt\tc\u{1}\u{1F}é漢🙂\u{2028}"
            let messages = [
                TranscriptMessage(
                    role: .assistant, content: odd,
                    toolCalls: [
                        StoredToolCall(id: "call_" + odd, name: "tool" + odd, arguments: #"{"s":"\"x\"\n"}"# + odd),
                        StoredToolCall(id: "", name: "", arguments: ""),
                    ],
                    model: "m/" + odd, usage: StoredUsage(inputTokens: 0, outputTokens: Int(Int32.max), totalTokens: -1)),
                TranscriptMessage(role: .toolResult, content: odd, toolCallId: odd, toolName: odd, isError: true),
                TranscriptMessage(role: .user, content: odd),
            ]
            _ = try await store.appendTurn(SessionTurn(sessionKey: "k", agentId: "main", messages: messages, usage: StoredUsage()))
            let history = try await store.history(sessionKey: "k", limit: 10)
            #expect(history.map(MessageFields.init) == messages.map(MessageFields.init))
        }
    }

    @Test("S2: history(limit:) returns the last n messages, still oldest first")
    func historyLimit() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            for i in 1...3 {
                try await store.appendTurn(simpleTurn(key: "k", user: "u\(i)", assistant: "a\(i)"))
            }
            #expect(try await store.history(sessionKey: "k", limit: 3).map(\.content) == ["a2", "u3", "a3"])
            #expect(try await store.history(sessionKey: "k", limit: 1).map(\.content) == ["a3"])
            #expect(try await store.history(sessionKey: "k", limit: 100).count == 6)
            #expect(try await store.history(sessionKey: "unknown", limit: 10).isEmpty)
        }
    }

    @Test("S1: session token counters accumulate across turns")
    func countersAccumulate() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let first = try await store.appendTurn(
                simpleTurn(key: "k", user: "a", assistant: "b", usage: StoredUsage(inputTokens: 5, outputTokens: 2, totalTokens: 7)))
            let second = try await store.appendTurn(
                simpleTurn(key: "k", user: "c", assistant: "d", usage: StoredUsage(inputTokens: 11, outputTokens: 3, totalTokens: 15)))
            #expect(first.sessionId == second.sessionId)
            #expect(second.usage == StoredUsage(inputTokens: 16, outputTokens: 5, totalTokens: 22))
            #expect(second.messageCount == 4)
            #expect(second.updatedAt >= first.updatedAt)
            let looked = try #require(try await store.session(key: "k"))
            #expect(looked.usage == second.usage)
            #expect(looked.sessionId == second.sessionId)
            #expect(try await store.session(key: "other") == nil)
        }
    }

    @Test("D-8: data survives closing the store and reopening the same file")
    func durableAcrossReopen() async throws {
        try await withTemporaryDatabase { path in
            let sessionId: String
            do {
                let store = try SQLiteSessionStore(path: path)
                sessionId = try await store.appendTurn(simpleTurn(key: "k", user: "remember me", assistant: "ok")).sessionId
            }
            let reopened = try SQLiteSessionStore(path: path)
            #expect(try await reopened.history(sessionKey: "k", limit: 10).map(\.content) == ["remember me", "ok"])
            #expect(try await reopened.session(key: "k")?.sessionId == sessionId)
            try await reopened.appendTurn(simpleTurn(key: "k", user: "again", assistant: "ok2"))
            #expect(try await reopened.session(key: "k")?.messageCount == 4)
        }
    }

    @Test("v3: a database from before the migration keeps its sessions; the unused session.key index is gone")
    func migrationDropsUnusedKeyIndex() async throws {
        try await withTemporaryDatabase { path in
            try await LegacySchema.create(at: path, migrated: ["v1-sessions", "v2-drop-redundant-index"])
            try await DatabaseQueue(path: path).write { db in
                try db.execute(
                    sql: """
                        INSERT INTO session (id, key, agentId, createdAt, updatedAt) \
                        VALUES ('s1', 'k', 'main', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000')
                        """)
                try db.execute(sql: "INSERT INTO sessionKey (key, sessionId) VALUES ('k', 's1')")
            }
            let store = try SQLiteSessionStore(path: path)
            #expect(try await store.session(key: "k")?.sessionId == "s1")
            try await store.appendTurn(simpleTurn(key: "k", user: "u", assistant: "a"))
            #expect(try await store.session(key: "k")?.messageCount == 2)
            let indexes = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            }
            #expect(!indexes.contains("session_on_key"))
            #expect(indexes.contains("message_session_order"))
        }
    }

    @Test("v4: a database from before the rebuild keeps its sessions, keys, messages and their order")
    func migrationRebuildKeepsData() async throws {
        try await withTemporaryDatabase { path in
            try await LegacySchema.create(
                at: path, migrated: ["v1-sessions", "v2-drop-redundant-index", "v3-drop-unused-session-key-index"])
            try await DatabaseQueue(path: path).write { db in
                let day = "'2026-01-01 00:00:00.000'"
                try db.execute(
                    sql: """
                        INSERT INTO session VALUES ('s1', 'k', 'main', \(day), \(day), 1, 1, 2);
                        INSERT INTO session VALUES ('s2', 'k', 'main', \(day), \(day), 1, 1, 2);
                        INSERT INTO session VALUES ('s3', 'other', 'main', \(day), \(day), 1, 1, 2);
                        INSERT INTO sessionKey VALUES ('k', 's2'), ('other', 's3');
                        INSERT INTO message (sessionId, entryId, role, content, createdAt) VALUES
                          ('s1', 'e1', 'user', 'u1', \(day)), ('s1', 'e2', 'assistant', 'a1', \(day)),
                          ('s2', 'e3', 'user', 'u3', \(day)), ('s3', 'e4', 'user', 'x', \(day)),
                          ('s3', 'e5', 'assistant', 'y', \(day)), ('s2', 'e6', 'assistant', 'a3', \(day));
                        """)
            }
            let store = try SQLiteSessionStore(path: path)
            #expect(try await store.history(sessionKey: "k", limit: 10).map(\.content) == ["u3", "a3"])
            #expect(try await store.history(sessionKey: "other", limit: 10).map(\.content) == ["x", "y"])
            #expect(try await store.session(key: "k")?.usage.totalTokens == 2)
            #expect(try await store.sessions(limit: 10).count == 2)
            try await store.appendTurn(simpleTurn(key: "k", user: "u4", assistant: "a4"))
            #expect(try await store.history(sessionKey: "k", limit: 10).map(\.content) == ["u3", "a3", "u4", "a4"])
            let schema = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL").joined(separator: "\n")
            }
            #expect(schema.contains("WITHOUT ROWID"))
            #expect(!schema.contains("AUTOINCREMENT"))
            #expect(!schema.contains("UNIQUE"))
        }
    }

    @Test("a new database gets the current schema at once: no table was rebuilt, no AUTOINCREMENT sequence")
    func newDatabaseSchema() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            try await store.appendTurn(simpleTurn(key: "k", user: "u", assistant: "a"))
            let names = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master ORDER BY name")
            }
            #expect(
                names == [
                    "grdb_migrations", "message", "message_session_order", "session", "sessionKey",
                    "sessionKey_on_sessionId", "sqlite_autoindex_grdb_migrations_1",
                ])
        }
    }

    @Test("v4: a new session's first turn writes at most 6 pages to the WAL (it wrote 9–11)")
    func newSessionTurnPages() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            for n in 0..<50 { try await store.appendTurn(simpleTurn(key: "warm-\(n)", user: "u", assistant: "a")) }
            let probe = try DatabaseQueue(path: path)
            try await probe.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try await store.appendTurn(simpleTurn(key: "fresh", user: "hello", assistant: "hi there"))
            let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            let frames = (walBytes - 32) / (24 + 4096)
            #expect(frames >= 1 && frames <= 6, "WAL frames for one new-session turn: \(frames)")
        }
    }

    @Test("D-8: the database file runs in WAL mode (a -wal file exists after a write)")
    func walMode() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            try await store.appendTurn(simpleTurn(key: "k", user: "x", assistant: "y"))
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            _ = store
        }
    }

    @Test("D-8: the store creates missing parent directories")
    func createsParentDirectories() async throws {
        try await withTemporaryDatabase { path in
            let nested = (path as NSString).deletingLastPathComponent + "/a/b/state.db"
            let store = try SQLiteSessionStore(path: nested)
            try await store.appendTurn(simpleTurn(key: "k", user: "x", assistant: "y"))
            #expect(FileManager.default.fileExists(atPath: nested))
        }
    }

    @Test("S2: reset(key:) points the key at a fresh, empty session")
    func resetStartsFreshSession() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let old = try await store.appendTurn(simpleTurn(key: "k", agent: "beta", user: "x", assistant: "y"))
            #expect(try await store.reset(key: "k"))
            let fresh = try #require(try await store.session(key: "k"))
            #expect(fresh.sessionId != old.sessionId)
            #expect(fresh.agentId == "beta")
            #expect(fresh.messageCount == 0)
            #expect(fresh.usage == StoredUsage())
            #expect(try await store.history(sessionKey: "k", limit: 10).isEmpty)

            let next = try await store.appendTurn(simpleTurn(key: "k", user: "new", assistant: "start"))
            #expect(next.sessionId == fresh.sessionId)
            #expect(try await store.history(sessionKey: "k", limit: 10).map(\.content) == ["new", "start"])
            #expect(try await store.reset(key: "never-used") == false)
        }
    }

    @Test("S1: sessions(limit:) lists current sessions, most recently updated first")
    func sessionsMostRecentFirst() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            for key in ["a", "b", "c"] {
                try await store.appendTurn(simpleTurn(key: key, user: key, assistant: key))
                try await Task.sleep(for: .milliseconds(15))
            }
            #expect(try await store.sessions(limit: 10).map(\.key) == ["c", "b", "a"])

            try await store.appendTurn(simpleTurn(key: "a", user: "again", assistant: "again"))
            try await Task.sleep(for: .milliseconds(15))
            #expect(try await store.sessions(limit: 10).map(\.key) == ["a", "c", "b"])
            #expect(try await store.sessions(limit: 2).map(\.key) == ["a", "c"])

            // A reset key is listed once, with its new session.
            #expect(try await store.reset(key: "b"))
            let listed = try await store.sessions(limit: 10)
            #expect(listed.map(\.key) == ["b", "a", "c"])
            #expect(listed.first?.messageCount == 0)
        }
    }

    @Test("D-8: keys are independent sessions")
    func keysIndependent() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let a = try await store.appendTurn(simpleTurn(key: "agent:main:openai-user:a", user: "1", assistant: "2"))
            let b = try await store.appendTurn(simpleTurn(key: "agent:main:openai-user:b", user: "3", assistant: "4"))
            #expect(a.sessionId != b.sessionId)
            #expect(try await store.history(sessionKey: "agent:main:openai-user:a", limit: 10).map(\.content) == ["1", "2"])
            #expect(try await store.history(sessionKey: "agent:main:openai-user:b", limit: 10).map(\.content) == ["3", "4"])
        }
    }

    @Test("D-8: concurrent turns on one key are each stored atomically, never interleaved")
    func concurrentTurnsAtomic() async throws {
        try await withTemporaryDatabase { path in
            let store = try SQLiteSessionStore(path: path)
            let count = 50
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<count {
                    group.addTask {
                        try await store.appendTurn(
                            simpleTurn(
                                key: "shared", user: "u\(i)", assistant: "a\(i)",
                                usage: StoredUsage(inputTokens: 1, outputTokens: 2, totalTokens: 3)))
                    }
                }
                try await group.waitForAll()
            }
            let history = try await store.history(sessionKey: "shared", limit: 1000)
            #expect(history.count == 2 * count)
            var seen: Set<String> = []
            for pair in stride(from: 0, to: history.count, by: 2) {
                let user = history[pair]
                let assistant = history[pair + 1]
                #expect(user.role == .user)
                #expect(assistant.role == .assistant)
                let n = user.content.dropFirst()
                #expect(assistant.content == "a\(n)", "turn \(n) was interleaved")
                seen.insert(String(n))
            }
            #expect(seen == Set((0..<count).map(String.init)))
            let summary = try #require(try await store.session(key: "shared"))
            #expect(summary.usage == StoredUsage(inputTokens: count, outputTokens: 2 * count, totalTokens: 3 * count))
            #expect(summary.messageCount == 2 * count, "every message is in the key's one session")
            #expect(try await store.sessions(limit: 10).count == 1, "one session for the key, not one per task")
        }
    }

    @Test("In-memory store behaves like the file store for turns and history")
    func inMemoryStore() async throws {
        let store = try SQLiteSessionStore()
        try await store.appendTurn(simpleTurn(key: "k", user: "hi", assistant: "hello"))
        #expect(try await store.history(sessionKey: "k", limit: 10).map(\.content) == ["hi", "hello"])
    }
}

/// The schema the first `v1-sessions` made (as GRDB wrote it), with the migrations in
/// `migrated` recorded as run and their changes applied.
enum LegacySchema {
    static func create(at path: String, migrated: [String]) async throws {
        try await DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    CREATE TABLE "session" ("id" TEXT PRIMARY KEY NOT NULL, "key" TEXT NOT NULL,
                      "agentId" TEXT NOT NULL, "createdAt" DATETIME NOT NULL, "updatedAt" DATETIME NOT NULL,
                      "inputTokens" INTEGER NOT NULL DEFAULT 0, "outputTokens" INTEGER NOT NULL DEFAULT 0,
                      "totalTokens" INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX "session_on_key" ON "session"("key");
                    CREATE TABLE "sessionKey" ("key" TEXT PRIMARY KEY NOT NULL,
                      "sessionId" TEXT NOT NULL REFERENCES "session"("id") ON DELETE CASCADE);
                    CREATE INDEX "sessionKey_on_sessionId" ON "sessionKey"("sessionId");
                    CREATE TABLE "message" ("id" INTEGER PRIMARY KEY AUTOINCREMENT,
                      "sessionId" TEXT NOT NULL REFERENCES "session"("id") ON DELETE CASCADE,
                      "entryId" TEXT NOT NULL UNIQUE, "role" TEXT NOT NULL, "content" TEXT NOT NULL,
                      "extra" TEXT, "createdAt" DATETIME NOT NULL);
                    CREATE INDEX "message_on_sessionId" ON "message"("sessionId");
                    CREATE INDEX "message_session_order" ON "message"("sessionId", "id");
                    """)
            for id in migrated {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [id])
            }
            if migrated.contains("v2-drop-redundant-index") { try db.execute(sql: "DROP INDEX message_on_sessionId") }
            if migrated.contains("v3-drop-unused-session-key-index") { try db.execute(sql: "DROP INDEX session_on_key") }
        }
    }
}
