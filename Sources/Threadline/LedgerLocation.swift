import Foundation
import LedgerStore

/// Where a ledger lives. A file path selects the embedded SQLite store.
public enum LedgerLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file.
    case sqlite(path: String)

    /// Interprets a `--ledger` argument.
    public init(_ text: String) throws {
        guard !text.isEmpty else { throw LedgerStoreError.notFound("''") }
        if text.contains("://") {
            throw LedgerStoreError.notALedger("\(text) (only SQLite file paths are supported so far)")
        }
        self = .sqlite(path: text)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): path
        }
    }

    /// Opens the existing ledger here.
    public func open() throws -> any LedgerStore {
        switch self {
        case .sqlite(let path): try SQLiteLedgerStore.open(path: path)
        }
    }

    /// Creates a new ledger here.
    public func create(metadata: LedgerMetadata) throws -> any LedgerStore {
        switch self {
        case .sqlite(let path): try SQLiteLedgerStore.create(path: path, metadata: metadata)
        }
    }

    /// Where the operator key is kept by default: beside a SQLite file, `<path>.operator-key`.
    public var defaultOperatorKeyPath: String? {
        switch self {
        case .sqlite(let path): path + ".operator-key"
        }
    }
}
