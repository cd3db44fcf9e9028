import Foundation
import LedgerStore
import Statements
import TransparencyLog

/// Writes a ledger as a C2SP tlog-tiles tree of static files: `checkpoint`, `tile/<L>/<N>[.p/<W>]`,
/// `tile/entries/<N>[.p/<W>]`. Any static host or CDN can then serve the log's read path.
public struct TileExporter: Sendable {
    /// What an export wrote.
    public struct Summary: Sendable, Codable, Equatable {
        /// The tree size of the exported checkpoint.
        public var treeSize: Int64 = 0
        /// Hash tiles written.
        public var hashTiles: Int = 0
        /// Entry bundles written.
        public var entryBundles: Int = 0
    }

    let store: any LedgerStore

    /// An exporter over `store`.
    public init(store: any LedgerStore) {
        self.store = store
    }

    /// Exports the tree of `checkpoint` (a signed note, written verbatim) into `directory`.
    public func export(
        checkpoint note: SignedNote, to directory: URL, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Summary {
        let size = try Checkpoint(text: note.text).size
        var summary = Summary(treeSize: size)
        let hashTiles = Tile.hashTiles(treeSize: size)
        let bundles = Tile.entryBundles(treeSize: size)
        let total = hashTiles.count + bundles.count
        for tile in hashTiles {
            let hashes = try await store.hashes(at: StoredHashes.indices(of: tile))
            var bytes = Data(capacity: hashes.count * Hash.byteCount)
            for hash in hashes { hash.withBytes { bytes.append(contentsOf: $0) } }
            try write(bytes, to: directory.appendingPathComponent(tile.path))
            summary.hashTiles += 1
            progress(summary.hashTiles, total)
        }
        for tile in bundles {
            try write(
                try await TileExporter.bundle(tile, store: store), to: directory.appendingPathComponent(tile.path))
            summary.entryBundles += 1
            progress(summary.hashTiles + summary.entryBundles, total)
        }
        // The checkpoint goes last, so a reader never sees one whose tiles are not all there.
        try write(Data(note.encoded.utf8), to: directory.appendingPathComponent("checkpoint"))
        return summary
    }

    /// An entry bundle: each entry as a 2-byte big-endian length and its bytes (tlog-tiles §Entry bundles).
    public static func bundle(_ tile: Tile, store: any LedgerStore) async throws -> Data {
        var bytes = Data()
        for (offset, record) in try await store.records(tile.entryRange).enumerated() {
            guard record.count <= LedgerRecord.maxBytes else {
                throw LedgerStoreError.corrupt(
                    "record \(tile.entryRange.lowerBound + Int64(offset)) is \(record.count) bytes, over the limit")
            }
            bytes.append(UInt8(record.count >> 8))
            bytes.append(UInt8(record.count & 0xff))
            bytes.append(contentsOf: record)
        }
        return bytes
    }

    private func write(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }
}

extension Ledger {
    /// The bytes of a C2SP tlog-tiles tile (`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`) of the tree of
    /// the latest checkpoint, if that tree has it. Tile contents never change once the tree has them.
    public nonisolated func tile(path: String) async throws -> Data {
        let tile = try Tile(path: path)
        guard let note = try await latestCheckpoint() else { throw LedgerError.badTreeSize(0, size: 0) }
        let size = try Checkpoint(text: note.text).size
        let available = tile.isEntries ? size : size >> (Int64(Tile.height) * Int64(tile.level))
        let needed = tile.index * Int64(Tile.width) + Int64(tile.width)
        guard needed <= available else { throw LedgerError.noSuchRecord(seq: needed - 1, size: available) }
        if tile.isEntries { return try await TileExporter.bundle(tile, store: store) }
        var bytes = Data()
        for hash in try await store.hashes(at: StoredHashes.indices(of: tile)) {
            hash.withBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}
