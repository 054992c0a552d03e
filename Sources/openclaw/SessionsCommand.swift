import ArgumentParser
import Foundation
import GatewayConfig
import OpenAIWire
import SessionStore

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List and export stored sessions.", subcommands: [List.self, Export.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, most recent first.")
        @OptionGroup var state: StateOptions
        @Option(name: .long, help: "At most this many sessions.") var limit = 50

        func run() async throws {
            let store = try SQLiteSessionStore(path: state.statePaths.database)
            for s in try await store.sessions(limit: limit) {
                printFlushed(
                    "\(s.key)\t\(s.agentId)\t\(s.sessionId)\t\(ISO8601DateFormatter().string(from: s.updatedAt))\tmessages=\(s.messageCount)\ttokens=\(s.usage.totalTokens)"
                )
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a session's transcript as JSONL (a session header, then message entries).")
        @OptionGroup var state: StateOptions
        @Argument(help: "The session key.") var key: String

        func run() async throws {
            let store = try SQLiteSessionStore(path: state.statePaths.database)
            guard let session = try await store.session(key: key) else { fail("no session with key '\(key)'") }
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            printFlushed(
                JSONValue.object([
                    "type": .string("session"), "id": .string(session.sessionId), "key": .string(session.key),
                    "agentId": .string(session.agentId), "timestamp": .string(iso.string(from: session.createdAt)),
                ]).jsonString())
            var parent: String?
            for m in try await store.transcript(sessionKey: key) {
                var message: [String: JSONValue] = [
                    "role": .string(m.role.rawValue),
                    "content": .array([.object(["type": .string("text"), "text": .string(m.content)])]),
                ]
                if let model = m.model { message["model"] = .string(model) }
                if let id = m.toolCallId { message["toolCallId"] = .string(id) }
                if let usage = m.usage {
                    message["usage"] = .object([
                        "input": .number(Double(usage.inputTokens)), "output": .number(Double(usage.outputTokens)),
                        "totalTokens": .number(Double(usage.totalTokens)),
                    ])
                }
                printFlushed(
                    JSONValue.object([
                        "type": .string("message"), "id": .string(m.entryId),
                        "parentId": parent.map(JSONValue.string) ?? .null,
                        "timestamp": .string(iso.string(from: m.createdAt)), "message": .object(message),
                    ]).jsonString())
                parent = m.entryId
            }
        }
    }
}
