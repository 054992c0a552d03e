#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Random version-4 UUIDs as lowercase text, the same shape as `UUID().uuidString.lowercased()`.
///
/// Foundation's `UUID()` opens and reads `/dev/urandom` on every call on Linux; a request needs
/// several ids. This draws from a pool of kernel randomness refilled 4 KiB at a time.
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

    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` (y is 8, 9, a or b).
    public static func uuidString() -> String {
        var uuid = randomBytes()
        uuid.6 = (uuid.6 & 0x0F) | 0x40
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
