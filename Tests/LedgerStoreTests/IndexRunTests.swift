import Foundation
import GRDB
import LedgerStore
import Testing
import ThreadlineTestSupport

@testable import LedgerStoreSQLite

/// The SQLite index's runs (Specs/04 §2, "The index's runs"): how entries become rows, and how rows are read back.
struct IndexRunTests {
    static func entry(_ key: String, _ seq: Int64) -> IndexEntry { IndexEntry(key: key, seq: seq) }

    /// The records a run holds, decoded from its stored columns.
    static func seqs(_ run: IndexRun) throws -> [Int64] {
        var seqs: [Int64] = []
        try run.gaps.withUnsafeBytes { gaps in
            try IndexRun.forEachSeq(first: run.first, last: run.last, gaps: gaps) { seqs.append($0) }
        }
        return seqs
    }

    @Test func aKeyTheNextRecordsNameTooIsOneRunUntilTheBlockEnds() throws {
        let block = IndexRun.blockSize
        var entries: [IndexEntry] = []
        // Every record names the step; each its own serial; record 5 names the step twice.
        for seq in (block - 3)..<(block + 2) {
            entries += [Self.entry("step", seq), Self.entry("epc:\(seq)", seq)]
        }
        entries.insert(Self.entry("step", block - 1), at: 5)
        let runs = IndexRun.runs(of: entries)
        #expect(
            runs.map(\.key) == ["step", "epc:\(block - 3)", "epc:\(block - 2)", "epc:\(block - 1)", "step"] + [
                "epc:\(block)", "epc:\(block + 1)",
            ])
        #expect(try Self.seqs(runs[0]) == [block - 3, block - 2, block - 1])
        #expect(try Self.seqs(runs[4]) == [block, block + 1])
        #expect(try runs.filter { $0.key.hasPrefix("epc:") }.allSatisfy { try Self.seqs($0) == [$0.first] })
        // Out of order, the same runs.
        #expect(IndexRun.runs(of: entries.reversed()).count == runs.count)
    }

    @Test func aRunKeepsTheDistancesBetweenItsRecordsWhateverTheirSize() throws {
        // Records without entries between (a registration, a checkpoint) do not end a run; distances of one and
        // of two LEB128 bytes.
        let wanted: [Int64] = [8192, 8193, 8200, 8200 + 127, 8200 + 128, 8200 + 128 + 300, 8192 + 4095]
        let runs = IndexRun.runs(of: wanted.map { Self.entry("place", $0) })
        #expect(runs.count == 1)
        #expect(try Self.seqs(runs[0]) == wanted)
        #expect(runs[0].gaps == [1, 7, 127, 1, 0xAC, 0x02])
    }

    @Test func aKeyAlternatingWithAnotherInOnePositionStillMakesRuns() throws {
        // Events whose places come in another order from one record to the next are matched anywhere in the
        // record before; a key missing from one record starts a new run after it.
        let entries = [
            Self.entry("a", 0), Self.entry("b", 0), Self.entry("b", 1), Self.entry("a", 1), Self.entry("b", 2),
            Self.entry("a", 3),
        ]
        let runs = IndexRun.runs(of: entries)
        #expect(try runs.map { "\($0.key)\(try Self.seqs($0))" } == ["a[0, 1]", "b[0, 1, 2]", "a[3]"])
    }

    @Test func aMalformedRunIsCorrupt() {
        func decode(_ first: Int64, _ last: Int64, _ gaps: [UInt8]) throws {
            try gaps.withUnsafeBytes { try IndexRun.forEachSeq(first: first, last: last, gaps: $0) { _ in } }
        }
        #expect(throws: Never.self) { try decode(10, 20, [3, 4]) }
        for (first, last, gaps) in [
            (Int64(20), Int64(10), [UInt8]()),  // backwards
            (4095, 4096, []),  // across a block
            (-1, 2, []),  // before the log
            (10, 10, [1]),  // one record with gaps
            (10, 20, [0]),  // a distance of zero
            (10, 20, [10]),  // reaching the last
            (10, 20, [4, 7]),  // past the last
            (10, 20, [0x81]),  // cut short
            (0, 4095, [0x81, 0x80, 0x80, 0x01]),  // more bits than a block has
        ] {
            #expect(throws: LedgerStoreError.self, "\(first) \(last) \(gaps)") { try decode(first, last, gaps) }
        }
    }

    @Test func anyStoredRunEitherDecodesToRecordsInOrderWithinItOrIsCorrupt() {
        // Random columns, as a damaged or hostile file could hold: nothing else may happen.
        var generator = SeededGenerator(state: 21)
        for _ in 0..<20000 {
            let first = Int64.random(in: -2...9000, using: &generator)
            let last = first + Int64.random(in: -2...5000, using: &generator)
            let gaps = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            var seqs: [Int64] = []
            do {
                try gaps.withUnsafeBytes {
                    try IndexRun.forEachSeq(first: first, last: last, gaps: $0) { seqs.append($0) }
                }
            } catch {
                #expect(error is LedgerStoreError)
                continue
            }
            #expect(seqs.first == first && seqs.last == last && zip(seqs, seqs.dropFirst()).allSatisfy { $0 < $1 })
            #expect(IndexRun.block(of: first) == IndexRun.block(of: last))
        }
    }

    @Test func aSQLiteIndexAcrossBlocksIsLookedUpReadBackAndRewrittenByAnErasure() async throws {
        let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        let count = 2 * Int(IndexRun.blockSize) + 100
        var entries: [IndexEntry] = []
        for seq in Int64(0)..<Int64(count) {
            entries.append(Self.entry("step", seq))
            if seq % 3 == 0 { entries.append(Self.entry("third", seq)) }
            entries.append(Self.entry("epc:\(seq)", seq))
        }
        // Two appends, the second starting inside the first's last block.
        let split = Int(IndexRun.blockSize) + 10
        let first = entries.filter { $0.seq < split }
        let second = entries.filter { $0.seq >= split }
        _ = try await store.append { head in
            AppendBatch(
                appending: StoreConformanceTests.entries(0..<split), to: head,
                index: first)
        }
        _ = try await store.append { head in
            AppendBatch(
                appending: StoreConformanceTests.entries(split..<count), to: head,
                index: second)
        }
        func rows(_ key: String) throws -> Int {
            try DatabaseQueue(path: path).read {
                try Int.fetchOne($0, sql: "SELECT count(*) FROM index_runs WHERE key = ?", arguments: [key]) ?? 0
            }
        }
        // One row a block an append for a key every record names; one a record for a serial, and for a key every
        // third record names (the records between have entries without it).
        #expect(try rows("step") == 4 && rows("epc:7") == 1 && rows("third") == (count + 2) / 3)
        #expect(try await store.lookup(["step"], from: 4000).map(\.seq) == Array(4000..<Int64(count)))
        #expect(
            try await store.lookup(["third"], from: 0).map(\.seq) == Array(stride(from: 0, to: Int64(count), by: 3)))
        let span = Int64(4090)..<Int64(4100)
        #expect(
            try await store.indexEntries(in: span)
                == entries.filter { span.contains($0.seq) }.sorted {
                    ($0.seq, $0.key) < ($1.seq, $1.key)
                })
        let keys = try await store.indexKeys(in: span)
        #expect(keys.keys(of: 4095).map { String(decoding: $0, as: UTF8.self) } == ["epc:4095", "step", "third"])
        // An erasure on either side of a block's edge: those records lose `step`, and `third` for 4095.
        _ = try await store.append { head in
            AppendBatch(
                appending: StoreConformanceTests.entries(count..<count + 1), to: head,
                reindexed: [
                    4095: Reindexing(before: ["epc:4095", "step", "third"], after: ["epc:4095", "erased"]),
                    4096: Reindexing(before: ["epc:4096", "step"], after: ["epc:4096"]),
                ])
        }
        let step = try await store.lookup(["step"], from: 0).map(\.seq)
        #expect(step == Array(0..<Int64(count)).filter { $0 != 4095 && $0 != 4096 })
        #expect(try await store.lookup(["third"], from: 4090).map(\.seq).prefix(2) == [4092, 4098])
        #expect(try await store.lookup(["erased"], from: 0).map(\.seq) == [4095])
        #expect(try await store.indexKeys(in: span).keys(of: 4096).map { Array($0) } == [Array("epc:4096".utf8)])
    }

    @Test func aDamagedRunInTheFileMakesReadsOfItCorruptNotWrong() async throws {
        let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        _ = try await store.append { head in
            AppendBatch(
                appending: StoreConformanceTests.entries(0..<3), to: head,
                index: (0..<3).map { Self.entry("step", $0) })
        }
        #expect(try await store.lookup(["step"], from: 0).map(\.seq) == [0, 1, 2])
        // A distance that reaches past the run's last record.
        try await DatabaseQueue(path: path).write {
            try $0.execute(sql: "UPDATE index_runs SET gaps = x'05' WHERE key = 'step'")
        }
        await #expect(throws: LedgerStoreError.self) { try await store.lookup(["step"], from: 0) }
        await #expect(throws: LedgerStoreError.self) { try await store.indexKeys(in: 0..<3) }
        await #expect(throws: LedgerStoreError.self) { try await store.indexEntries(in: 0..<3) }
    }
}
