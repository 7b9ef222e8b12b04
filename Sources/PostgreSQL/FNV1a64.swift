/// FNV-1a, 64-bit: a fast, stable, dependency-free hash for change detection.
///
/// Used for migration checksums only: it detects an edited migration file, it is NOT a
/// cryptographic hash and does not protect against deliberate tampering.
enum FNV1a64 {
    static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// 16 lowercase hex digits of the hash of the UTF-8 text.
    static func hex(_ text: String) -> String {
        let digits = String(hash(text.utf8), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
