import Foundation
import LedgerStore
import Logging
import PostgresNIO
import TransparencyLog

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]` location.
struct PostgresURL {
    let user: String
    let password: String?
    let host: String
    let port: Int
    let database: String
    let requireTLS: Bool

    init(_ text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw LedgerStoreError.notALedger(
                "'\(text)' (a PostgreSQL ledger is postgres://user[:password]@host[:port]/database)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw LedgerStoreError.notALedger("'\(text)' names no database (postgres://user@host/database)")
        }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require"].contains(mode) else {
            throw LedgerStoreError.notALedger("'\(text)': sslmode must be disable or require")
        }
        self.user = user.removingPercentEncoding ?? user
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        self.port = url.port ?? 5432
        self.database = database
        self.requireTLS = mode == "require"
    }

    /// The connection settings: a 10 s connect timeout, TLS only with `sslmode=require`.
    var configuration: PostgresConnection.Configuration {
        get throws {
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: requireTLS ? .require(try .init(configuration: .makeClientConfiguration())) : .disable)
            configuration.options.connectTimeout = .seconds(10)
            return configuration
        }
    }

    /// The location without the password, for messages.
    var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

}
