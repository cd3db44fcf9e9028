import Foundation
import PostgresNIO

/// The PostgreSQL server the tests use: `$THREADLINE_TEST_POSTGRES`, a URL whose user may create databases
/// (`.ci/postgres` starts one and prints it). Each test gets a database of its own.
public enum TestPostgres {
    /// The server URL, if one is configured.
    public static let serverURL = ProcessInfo.processInfo.environment["THREADLINE_TEST_POSTGRES"]

    /// Whether the PostgreSQL tests must run: in CI they are never skipped.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// Why PostgreSQL tests cannot run, or nil when they can.
    public static var missingReason: String? {
        serverURL == nil ? "THREADLINE_TEST_POSTGRES is not set (run `.ci/postgres` for a local server)" : nil
    }

    /// Creates an empty database named `threadline_t_<random>` and returns its URL.
    public static func freshDatabase() async throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL), let host = components.host,
            let user = components.user
        else { throw TestPostgresError(missingReason ?? "THREADLINE_TEST_POSTGRES is not a postgres:// URL") }
        let name = "threadline_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.drop { $0 == "/" }), tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 1, logger: Logger(label: "test-postgres"))
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test-postgres"))
        try await connection.close()
        components.path = "/" + name
        return components.string!
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
