import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Dates as GRDB stores them — "yyyy-MM-dd HH:mm:ss.SSS" in UTC — written without GRDB's
/// shared `DateFormatter` (three dates per stored turn made it a visible part of each commit).
/// GRDB reads the text back as a `Date` like any it wrote itself.
enum StoredDate {
    static func text(_ date: Date) -> String {
        let totalMs = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let ms = Int((totalMs % 1000 + 1000) % 1000)
        var seconds = time_t((totalMs - Int64(ms)) / 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "1970-01-01 00:00:00.000" }
        var out = ""
        out.reserveCapacity(23)
        func pad(_ value: Int, _ width: Int) {
            let digits = String(value)
            if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
            out += digits
        }
        pad(Int(parts.tm_year) + 1900, 4)
        out += "-"
        pad(Int(parts.tm_mon) + 1, 2)
        out += "-"
        pad(Int(parts.tm_mday), 2)
        out += " "
        pad(Int(parts.tm_hour), 2)
        out += ":"
        pad(Int(parts.tm_min), 2)
        out += ":"
        pad(Int(parts.tm_sec), 2)
        out += "."
        pad(ms, 3)
        return out
    }
}
