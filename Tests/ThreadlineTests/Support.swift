import Foundation
import LedgerStore
import LedgerStoreSQLite
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline
import Statements

/// Test-only keys from fixed seeds, and a ledger over a real SQLite file or memory.
enum Sample {
    static let operatorKey = try! SigningKey(name: "example.com/test-ledger", seed: [UInt8](repeating: 1, count: 32))
    static let farm = try! SigningKey(name: "sample-farm", seed: [UInt8](repeating: 2, count: 32))
    static let brand = try! SigningKey(name: "sample-brand", seed: [UInt8](repeating: 3, count: 32))

    static func envelope(_ n: Int, by key: SigningKey = farm) throws -> Envelope {
        try Envelope(signing: Array(#"{"event":\#(n)}"#.utf8), type: "application/ld+json", with: key)
    }

    static func sqliteLedger(
        clock: @escaping @Sendable () -> Int64 = { 1_764_412_800_000 }
    ) async throws -> (Ledger, String) {
        let path = try TemporaryFolder.make().appendingPathComponent("ledger.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: Ledger.metadata(operatorKey: operatorKey))
        return (try await Ledger(store: store, operatorKey: operatorKey, clock: clock), path)
    }

    static func memoryLedger() async throws -> Ledger {
        let store = InMemoryLedgerStore(metadata: Ledger.metadata(operatorKey: operatorKey))
        return try await Ledger(store: store, operatorKey: operatorKey, clock: { 1_764_412_800_000 })
    }
}
