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
        try await withConnection(configuration) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        components.path = "/" + name
        return components.string!
    }

    static let logger = Logger(label: "test-postgres")

    /// Runs `body` on a new connection that is closed afterwards, whatever happens.
    public static func withConnection<T>(
        _ configuration: PostgresConnection.Configuration, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` on a new connection to `url` (as its user, or as `user`/`password`), closed afterwards.
    public static func withConnection<T>(
        to url: String, user: String? = nil, password: String? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let components = URLComponents(string: url)!
        let configuration = PostgresConnection.Configuration(
            host: components.host!, port: components.port ?? 5432, username: user ?? components.user!,
            password: password ?? components.password, database: String(components.path.dropFirst()), tls: .disable)
        return try await withConnection(configuration, body)
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
