import Foundation
import FuzzSupport
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// A tile path as the server's `GET /tile/**` receives it: parsed by `Tile(path:)` (which takes one spelling of
/// each tile, so a parsed tile's path is the input) and served by `Ledger.tile(path:)` from a small ledger.
@main
enum FuzzTile: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let path = input.text
        if let tile = try? Tile(path: path) {
            require(tile.path == path, "tile \(tile.path) parsed from another spelling: \(path)")
            _ = tile.entryRange
        }
        _ = waitFor { try await ledger.tile(path: path) }
    }
}

/// An in-memory ledger of 773 opaque statements, made once per process: three full entry bundles and hash tiles
/// and a partial one at level 0, and a partial tile of three hashes at level 1, under a signed checkpoint.
let ledger: Ledger = {
    let result = waitFor {
        let key = try SigningKey(name: "example.com/fuzz-ledger", seed: [UInt8](repeating: 1, count: 32))
        let signer = try SigningKey(name: "fuzz-participant", seed: [UInt8](repeating: 2, count: 32))
        let store = InMemoryLedgerStore(metadata: Ledger.metadata(operatorKey: key))
        let ledger = try await Ledger(store: store, operatorKey: key, clock: { 1_764_412_800_000 })
        let envelopes = try (0..<773).map {
            try Envelope(signing: Array(#"{"entry":\#($0)}"#.utf8), type: "application/ld+json", with: signer)
        }
        _ = try await ledger.append(envelopes)
        _ = try await ledger.checkpoint()
        return ledger
    }
    switch result {
    case .success(let ledger): return ledger
    case .failure(let error): fatalError("cannot make the ledger the tiles are served from: \(error)")
    }
}()
