// Micro-benchmarks of the gateway's per-request text work against the Foundation calls they
// replaced, measured side by side in one run (see scripts/bench/micro.sh). Compiled with
// `swiftc -O` together with Sources/OpenAIWire, so it measures the shipped code.
import Foundation

/// Nanoseconds per call of `body`, the best of five rounds of `iterations` calls.
func measure(_ iterations: Int, _ body: () -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { sink &+= body() }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
    }
    if sink == 42 { print("") }  // keeps the work observable
    return best
}

func row(_ name: String, _ bytes: Int, ours: Double, foundation: Double) {
    let label = name.padding(toLength: 44, withPad: " ", startingAt: 0)
    print("| \(label) | \(bytes) | \(Int(ours.rounded())) | \(Int(foundation.rounded())) | \(String(format: "%.1f", foundation / ours))× |")
}

let systemPrompt =
    String(repeating: "You are OpenClaw agent `main`, a personal assistant running on its owner's machine. é\n", count: 10)
    + "## Runtime\nRuntime: agent=main | host=x | os=linux (x86_64)\n\tReasoning: off \"q\""
let conversation = String(
    repeating: "User: a longer message with words, numbers 12345 and punctuation!\nAssistant: an answer\n", count: 40)
let plain = String(repeating: "abcdefghij", count: 200)
let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = .withoutEscapingSlashes
    return e
}()

print("| JSON string quoting (`ChunkEncoder.appendQuoted` vs `JSONEncoder`) | bytes | ns ours | ns Foundation | ratio |")
print("|---|---|---|---|---|")
for (name, text) in [("system prompt, multi-line", systemPrompt), ("conversation, 80 lines", conversation),
                     ("2,000 bytes, nothing to escape", plain), ("a short delta", "Hello, world")] {
    var ours = ""
    ChunkEncoder.appendQuoted(text, to: &ours)
    precondition(ours == String(decoding: try! encoder.encode(text), as: UTF8.self), "output differs for \(name)")
    let n = text.utf8.count > 1000 ? 20_000 : 200_000
    let a = measure(n) {
        var out = ""
        out.reserveCapacity(text.utf8.count + 64)
        ChunkEncoder.appendQuoted(text, to: &out)
        return out.utf8.count
    }
    let b = measure(n) { (try? encoder.encode(text).count) ?? 0 }
    row(name, text.utf8.count, ours: a, foundation: b)
}

print("")
print("| trimming (`trimmingWhitespaceAndNewlines` vs `trimmingCharacters(in: .whitespacesAndNewlines)`) | bytes | ns ours | ns Foundation | ratio |")
print("|---|---|---|---|---|")
for (name, text) in [("a role", "user"), ("a short message", "  hello there \n"), ("a 2,000-byte message", " " + plain + "\n")] {
    precondition(String(text.trimmingWhitespaceAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines))
    let a = measure(200_000) { text.trimmingWhitespaceAndNewlines.utf8.count }
    let b = measure(200_000) { text.trimmingCharacters(in: .whitespacesAndNewlines).utf8.count }
    row(name, text.utf8.count, ours: a, foundation: b)
}
