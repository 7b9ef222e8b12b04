// libFuzzer entry point: every input is a Kafka value run through the strict JSON parser and
// the contract validator (both topics, with and without a key): it must give exactly an event
// or a rejection, never trap.
//
// Build and run with `scripts/fuzz.sh SECONDS` (libFuzzer supplies `main`, hence
// `-parse-as-library`). Built without the fuzzer (a plain `swift build`), this file has no
// top-level code and the executable does nothing.
import OrderStreamDomain

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let value = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? JSONParser.parse(value)
    for topic in ["orders", "payments"] {
        _ = EventValidator.validate(topic: topic, key: nil, value: value)
        _ = EventValidator.validate(topic: topic, key: Array("ord-1001".utf8), value: value)
    }
    return 0
}
