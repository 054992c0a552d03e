#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Unique ids as lowercase UUID text, the shape of `UUID().uuidString.lowercased()`, but
/// time-ordered: version 7 (RFC 9562), a 48-bit Unix millisecond timestamp then 74 random bits.
///
/// Session ids, stateless session keys and transcript entry ids are primary or indexed keys
/// in SQLite: random ones land on a random leaf page of each index, so every stored turn
/// dirtied (and wrote to the WAL) a page per index; time-ordered ones append, and the turns of
/// a group commit share the same few pages. Foundation's `UUID()` also opens and reads
/// `/dev/urandom` on every call on Linux; this draws from a pool refilled 4 KiB at a time.
public enum RandomID {
    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var offset = 4096
    }
    private static let pool = Mutex(Pool())
    #if !canImport(Darwin)
    /// Kept open for the life of the process; read under the pool lock.
    private static let urandom: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    #endif

    /// `tttttttt-tttt-7xxx-yxxx-xxxxxxxxxxxx` (t: milliseconds since 1970; y is 8, 9, a or b).
    public static func uuidString() -> String {
        var uuid = randomBytes()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let ms = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        uuid.0 = UInt8(truncatingIfNeeded: ms >> 40)
        uuid.1 = UInt8(truncatingIfNeeded: ms >> 32)
        uuid.2 = UInt8(truncatingIfNeeded: ms >> 24)
        uuid.3 = UInt8(truncatingIfNeeded: ms >> 16)
        uuid.4 = UInt8(truncatingIfNeeded: ms >> 8)
        uuid.5 = UInt8(truncatingIfNeeded: ms)
        uuid.6 = (uuid.6 & 0x0F) | 0x70
        uuid.8 = (uuid.8 & 0x3F) | 0x80
        return withUnsafeBytes(of: uuid) { raw in
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, byte) in raw.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = hex[Int(byte >> 4)]
                    out[o + 1] = hex[Int(byte & 0x0F)]
                    o += 2
                }
                return o
            }
        }
    }

    private typealias Bytes16 = (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
    )

    private static func randomBytes() -> Bytes16 {
        var value: Bytes16 = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        pool.withLock { pool in
            if pool.offset + 16 > pool.bytes.count {
                pool.bytes.withUnsafeMutableBytes { fill($0) }
                pool.offset = 0
            }
            withUnsafeMutableBytes(of: &value) { out in
                pool.bytes.withUnsafeBytes { src in
                    out.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[pool.offset..<pool.offset + 16]))
                }
            }
            pool.offset += 16
        }
        return value
    }

    private static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var filled = 0
        #if canImport(Darwin)
        arc4random_buf(buffer.baseAddress!, buffer.count)
        filled = buffer.count
        #else
        if urandom >= 0 {
            while filled < buffer.count {
                let n = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
                if n <= 0 { break }
                filled += n
            }
        }
        #endif
        // Only if the kernel call failed: the standard library's generator, 8 bytes at a time.
        var generator = SystemRandomNumberGenerator()
        while filled < buffer.count {
            buffer[filled] = UInt8.random(in: .min ... .max, using: &generator)
            filled += 1
        }
    }
}
