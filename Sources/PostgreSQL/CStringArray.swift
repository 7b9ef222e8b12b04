#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A NULL-able array of C strings that lives for one libpq call.
///
/// It exists because libpq takes `const char * const *` for parameters and connection
/// keywords; the strings are `strdup`ed (so they are NUL-terminated and stable) and freed
/// when `withPointers` returns.
struct CStringArray {
    private let strings: [String?]

    init(_ strings: [String?]) {
        self.strings = strings
    }

    /// Calls `body` with pointers to the strings (nil for nil), plus a trailing nil when
    /// `nullTerminated` (for PQconnectdbParams).
    func withPointers<R, E: Error>(
        nullTerminated: Bool = false,
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws(E) -> R
    ) throws(E) -> R {
        var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
        defer { for pointer in owned { free(pointer) } }
        if nullTerminated { owned.append(nil) }
        var pointers: [UnsafePointer<CChar>?] = owned.map { $0.map { UnsafePointer($0) } }
        if pointers.isEmpty { return try body(nil) }
        return try pointers.withUnsafeMutableBufferPointer { (buffer) throws(E) -> R in
            try body(UnsafePointer(buffer.baseAddress))
        }
    }
}
