import Foundation
import PostgreSQL
import Testing

/// Parsing and redaction of connection strings; no server needed.
@Suite
struct ConfigurationTests {
    @Test func urlParametersPassThroughAndPasswordIsRedacted() throws {
        let configuration = try PGConnectionConfiguration(
            "postgresql://alice:s3cret-pw@db.example:6543/orders?sslmode=require&application_name=base&target_session_attrs=read-write"
        )
        #expect(configuration.value(for: "host") == "db.example")
        #expect(configuration.value(for: "port") == "6543")
        #expect(configuration.value(for: "dbname") == "orders")
        #expect(configuration.value(for: "sslmode") == "require")
        #expect(configuration.value(for: "target_session_attrs") == "read-write")
        #expect(configuration.value(for: "password") == "s3cret-pw")
        #expect(configuration.redacted.contains("password=***"))
        #expect(!configuration.redacted.contains("s3cret-pw"))
        #expect(!"\(configuration)".contains("s3cret-pw"))

        let fenced = configuration.withApplicationName("worker-blue-7")
        #expect(fenced.value(for: "application_name") == "worker-blue-7")
        #expect(fenced.redacted.contains("application_name=worker-blue-7"))
        #expect(!fenced.redacted.contains("application_name=base"))
    }

    @Test func conninfoFormIsAccepted() throws {
        let configuration = try PGConnectionConfiguration(
            "host=localhost user=bob password='top secret' dbname=x sslmode=disable")
        #expect(configuration.value(for: "user") == "bob")
        #expect(configuration.value(for: "sslmode") == "disable")
        #expect(!configuration.redacted.contains("top secret"))
    }

    @Test(arguments: [
        ("postgresql://alice:pa%zzsecret@localhost/db", "pa%zzsecret"),
        ("postgresql://alice:hunter2@localhost/db?bogus_param=1", "hunter2"),
        ("postgresql://alice:hunter2@localhost:notaport/db", "hunter2"),
        ("host=localhost password=hunter2 nonsense", "hunter2"),
        ("host=localhost password='hunter2", "hunter2"),
    ])
    func malformedStringsFailWithoutThePassword(input: String, password: String) throws {
        let error = try #require(throws: PGError.self) { try PGConnectionConfiguration(input) }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.description.contains("invalid database URL:"))
        #expect(!error.description.contains(password), "leaked: \(error.description)")
        #expect(!error.message.contains(password))
        #expect(!error.description.contains("zzsecret"))
    }

    @Test func unknownParameterIsNamed() throws {
        let error = try #require(throws: PGError.self) {
            try PGConnectionConfiguration("postgresql://alice:hunter2@localhost/db?bogus_param=1")
        }
        #expect(error.message.contains("bogus_param"), "\(error.message)")
    }
}
