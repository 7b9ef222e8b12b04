import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Minimal HTTP GET for the tests (status and body), with a short timeout.
public enum HTTPProbe {
    public struct Answer: Sendable {
        public let status: Int
        public let body: String
    }

    public static func get(_ url: String, timeout: TimeInterval = 5) async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = timeout
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return Answer(status: status, body: String(decoding: data, as: UTF8.self))
    }

    /// The answer, or nil while nothing listens.
    public static func tryGet(_ url: String) async -> Answer? {
        try? await get(url, timeout: 2)
    }
}
