/// Runs blocking C work (libpq, librdkafka) from async code on a dedicated thread, so the
/// cooperative pool never blocks.
public enum Blocking {
    public static func run<T: Sendable>(
        name: String = "orderstream-blocking", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await DedicatedThread.run(name: name, body)
    }
}
