import Foundation
import Synchronization

/// Time-ordered UUIDs, version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, the version,
/// 12 bits that count up within one millisecond (method 1 of §6.2, so ids made by one process
/// sort in the order they were made), the variant and 62 random bits.
public enum UUIDv7 {
    private static let last = Mutex<(millis: UInt64, counter: UInt16)>((0, 0))

    /// A new id in its canonical text form (`0192f1c4-7a3b-7c41-9d2e-5b6a1c0f3e21`).
    public static func generate(now: Date = Date()) -> String {
        var millis = UInt64(max(0, now.timeIntervalSince1970 * 1_000))
        let counter: UInt16 = last.withLock { state in
            if millis <= state.millis {
                // Same millisecond (or the clock went back): keep the previous time and count
                // up; when the 12-bit counter wraps, borrow the next millisecond.
                millis = state.millis
                if state.counter >= 0x0FFF {
                    millis += 1
                    state = (millis, 0)
                } else {
                    state.counter += 1
                }
            } else {
                state = (millis, 0)
            }
            return state.counter
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(index))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        var random = SystemRandomNumberGenerator()
        let tail = random.next() as UInt64
        for index in 0..<8 { bytes[8 + index] = UInt8(truncatingIfNeeded: tail >> (56 - 8 * UInt64(index))) }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }
}
