// libFuzzer entry point: every input is a Kafka value run through the strict JSON parser and
// the contract validator (both topics, with and without a key), and must keep
// `ValidatorInvariant`: exactly an event or a rejection, never a trap, never a broken property.
//
// Build and run with `scripts/fuzz.sh SECONDS` (libFuzzer supplies `main`, hence
// `-parse-as-library`). Built without the fuzzer (a plain `swift build`), this file has no
// top-level code and the executable does nothing.
import OrderStreamDomain

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let value = Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = ValidatorInvariant.violation(in: value) {
        fatalError("invariant broken: \(problem)")
    }
    return 0
}
