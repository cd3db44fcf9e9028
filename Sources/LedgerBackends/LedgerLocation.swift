import Foundation
import LedgerStore
import LedgerStorePostgres
import LedgerStoreSQLite

/// Where a ledger lives: a file path selects the embedded SQLite store, a `postgres://` URL selects
/// PostgreSQL. Every command takes either. The programs that start up (the CLI, the server, the demo) pick the
/// backend here; the engine works on any `LedgerStore` and links neither.
public enum LedgerLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]`.
    case postgres(url: String)

    /// Interprets a `--ledger` argument.
    public init(_ text: String) throws {
        guard !text.isEmpty else { throw LedgerStoreError.notFound("''") }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.contains("://") {
            throw LedgerStoreError.notALedger("\(text) (a ledger is a file path or a postgres:// URL)")
        } else {
            self = .sqlite(path: text)
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): (try? PostgresLocationText.redact(url)) ?? "postgres://…"
        }
    }

    /// Opens the existing ledger here.
    public func open() async throws -> any LedgerStore {
        switch self {
        case .sqlite(let path): try SQLiteLedgerStore.open(path: path)
        case .postgres(let url): try await PostgresLedgerStore.open(url: url)
        }
    }

    /// Creates a new ledger here.
    public func create(metadata: LedgerMetadata) async throws -> any LedgerStore {
        switch self {
        case .sqlite(let path): try SQLiteLedgerStore.create(path: path, metadata: metadata)
        case .postgres(let url): try await PostgresLedgerStore.create(url: url, metadata: metadata)
        }
    }

    /// Where the operator key is kept by default: beside a SQLite file, `<path>.operator-key`. A PostgreSQL
    /// ledger has no default; its key is given with `--operator-key` or `$THREADLINE_OPERATOR_KEY`.
    public var defaultOperatorKeyPath: String? {
        switch self {
        case .sqlite(let path): path + ".operator-key"
        case .postgres: nil
        }
    }
}

/// Hides a URL's password in messages.
enum PostgresLocationText {
    static func redact(_ url: String) throws -> String {
        guard var components = URLComponents(string: url) else { return "postgres://…" }
        if components.password != nil { components.password = "…" }
        return components.string ?? "postgres://…"
    }
}
