import Foundation
import Testing

@testable import SessionStore

@Suite struct StoredDateTests {
    @Test(
        "stored dates are written as GRDB writes them: yyyy-MM-dd HH:mm:ss.SSS in UTC",
        arguments: [0, 1_750_000_000.25, 1_750_000_000.999, 951_782_400.5, 4_102_444_799.001, -86_400.75, 1e9])
    func sameTextAsGRDB(seconds: Double) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        let date = Date(timeIntervalSince1970: seconds)
        #expect(StoredDate.text(date) == formatter.string(from: date))
    }
}
