import Foundation
import GRDB
import LedgerStorePostgres
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import LedgerStore
@testable import LedgerStoreSQLite

/// The contract every store keeps, run against each kind of store.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// The kinds this run can test: PostgreSQL when a server is configured (always in CI; see
    /// `postgresIsConfiguredInCI`).
    static let available: [StoreKind] = TestPostgres.serverURL == nil ? [.memory, .sqlite] : allCases

    static let metadata = LedgerMetadata(origin: "example.com/test", operatorKey: "example.com/test+00000000+AQ==")

    func make() async throws -> any LedgerStore {
        switch self {
        case .memory: InMemoryLedgerStore(metadata: Self.metadata)
        case .sqlite:
            try SQLiteLedgerStore.create(
                path: TemporaryFolder.make().appendingPathComponent("l.db").path, metadata: Self.metadata)
        case .postgres: try await PostgresLedgerStore.create(url: TestPostgres.freshDatabase(), metadata: Self.metadata)
        }
    }
}

@Test func postgresIsConfiguredInCI() {
    // CI runs `.ci/postgres` and sets THREADLINE_TEST_POSTGRES: the PostgreSQL store is never silently left out.
    if TestPostgres.isRequired { #expect(TestPostgres.serverURL != nil, "\(TestPostgres.missingReason ?? "")") }
    #expect(StoreKind.available.contains(.sqlite))
}

/// Appends raw entries the way the engine does: leaf hashes into the compact range, under the lock.
func appendEntries(_ entries: [[UInt8]], to store: any LedgerStore) async throws -> LedgerHead {
    try await store.append { head in AppendBatch(appending: entries, to: head) }
}

struct StoreConformanceTests {
    static func entries(_ range: Range<Int>) -> [[UInt8]] { range.map { Array("entry \($0)".utf8) } }

    @Test(arguments: StoreKind.available)
    func appendsAreReadBackExactly(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.metadata() == StoreKind.metadata)
        #expect(try await store.size() == 0)
        var head = try await appendEntries(Self.entries(0..<5), to: store)
        #expect(head.size == 5)
        head = try await appendEntries(Self.entries(5..<300), to: store)
        #expect(head.size == 300)
        #expect(head.lastLeafHash == Merkle.leafHash(Self.entries(299..<300)[0]))
        #expect(try await store.size() == 300)
        #expect(try await store.records(0..<300) == Self.entries(0..<300))
        #expect(try await store.records(17..<18) == Self.entries(17..<18))
        let leaves = Self.entries(0..<300).map { Merkle.leafHash($0) }
        #expect(head.range.root == Merkle.rootHash(leafHashes: leaves))
        let all = try await store.hashes(in: 0..<StoredHashes.count(size: 300))
        #expect(all.count == Int(StoredHashes.count(size: 300)))
        let picked = [StoredHashes.index(level: 0, offset: 7), StoredHashes.index(level: 8, offset: 0), 3, 3]
        #expect(try await store.hashes(at: picked) == picked.map { all[Int($0)] })
        #expect(try await store.hashes(at: picked)[1] == Merkle.rootHash(leafHashes: leaves[0..<256]))
    }

    @Test(arguments: StoreKind.available)
    func openingsAreKeptBesideTheLogAndRewritten(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.append { head in
            AppendBatch(
                appending: Self.entries(0..<4), to: head, openings: [1: Array("one".utf8), 3: Array("three".utf8)])
        }
        #expect(try await store.openings(in: 0..<4) == [1: Array("one".utf8), 3: Array("three".utf8)])
        #expect(try await store.openings(at: [0, 3, 3]) == [3: Array("three".utf8)])
        #expect(try await store.openings(at: []).isEmpty)
        // A later batch rewrites an earlier record's opening (an erasure) in the same transaction as its records.
        _ = try await store.append { head in
            AppendBatch(appending: Self.entries(4..<5), to: head, openings: [1: Array("erased".utf8)])
        }
        #expect(try await store.openings(in: 0..<5) == [1: Array("erased".utf8), 3: Array("three".utf8)])
        #expect(try await store.size() == 5)
        // An opening for a record the batch does not reach is refused, and nothing of the batch is written.
        await #expect(throws: LedgerStoreError.self) {
            try await store.append { head in
                AppendBatch(appending: Self.entries(5..<6), to: head, openings: [9: Array("nine".utf8)])
            }
        }
        #expect(try await store.size() == 5)
        #expect(try await store.openings(in: 0..<10).count == 2)
    }

    @Test(arguments: StoreKind.available)
    func anEarlierRecordsIndexEntriesAreReplacedWithABatch(kind: StoreKind) async throws {
        let store = try await kind.make()
        let entries = [
            IndexEntry(key: "epc:a", seq: 0), IndexEntry(key: "epc:b", seq: 1), IndexEntry(key: "epc:c", seq: 1),
        ]
        _ = try await store.append { head in AppendBatch(appending: Self.entries(0..<2), to: head, index: entries) }
        #expect(try await store.indexEntries(in: 0..<2) == entries)
        // An erasure: record 1 now names only `epc:c` and `erased`, written with the erasure's own record.
        _ = try await store.append { head in
            AppendBatch(
                appending: Self.entries(2..<3), to: head, index: [IndexEntry(key: "erasures", seq: 2)],
                reindexed: [1: Reindexing(before: ["epc:b", "epc:c"], after: ["epc:c", "erased"])])
        }
        #expect(
            try await store.indexEntries(in: 0..<3) == [
                IndexEntry(key: "epc:a", seq: 0), IndexEntry(key: "epc:c", seq: 1), IndexEntry(key: "erased", seq: 1),
                IndexEntry(key: "erasures", seq: 2),
            ])
        #expect(try await store.lookup(["epc:b"], from: 0).isEmpty)
        // A record the batch does not precede is refused, and nothing of the batch is written.
        await #expect(throws: LedgerStoreError.self) {
            try await store.append { head in
                AppendBatch(
                    appending: Self.entries(3..<4), to: head, reindexed: [3: Reindexing(before: [], after: ["epc:x"])])
            }
        }
        #expect(try await store.size() == 3)
    }

    @Test(arguments: StoreKind.available)
    func theIndexsDigestsAreItsEntriesSummedByBlock(kind: StoreKind) async throws {
        let store = try await kind.make()
        let count = Int64(IndexDigest.blockSize) + 50
        var entries: [IndexEntry] = []
        for seq in 0..<count {
            entries += [IndexEntry(key: "step", seq: seq), IndexEntry(key: "epc:\(seq)", seq: seq)]
            if seq % 5 == 0 { entries.append(IndexEntry(key: "fifth", seq: seq)) }
        }
        _ = try await store.append { [entries] head in
            AppendBatch(appending: Self.entries(0..<Int(count)), to: head, index: entries)
        }
        func sums(_ entries: [IndexEntry], below end: Int64, _ digest: IndexDigest) -> [UInt64] {
            var sums = [UInt64](repeating: 0, count: IndexDigest.blocks(below: end))
            for entry in entries where entry.seq < end {
                var key = entry.key
                let keyDigest = key.withUTF8 { digest.key(UnsafeRawBufferPointer($0)) }
                sums[IndexDigest.block(of: entry.seq)] &+= digest.entry(key: keyDigest, seq: entry.seq)
            }
            return sums
        }
        let digest = IndexDigest(salt: (1, 2))
        for end in [count, IndexDigest.blockSize + 1, IndexDigest.blockSize, 7, 0] {
            #expect(try await store.indexDigests(below: end, using: digest) == sums(entries, below: end, digest))
        }
        // The sums are the entries': one entry moved to another record in the same block changes that block's
        // sum, and another key gives other sums.
        var moved = entries
        moved[moved.firstIndex(of: IndexEntry(key: "fifth", seq: 5))!] = IndexEntry(key: "fifth", seq: 6)
        let found = try await store.indexDigests(below: count, using: digest)
        #expect(found[0] != sums(moved, below: count, digest)[0] && found[1] == sums(moved, below: count, digest)[1])
        #expect(try await store.indexDigests(below: count, using: IndexDigest(salt: (3, 4))) != found)
    }

    @Test(arguments: StoreKind.available)
    func cosignaturesAreKeptWithTheirCheckpoint(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await appendEntries(Self.entries(0..<3), to: store)
        await #expect(throws: LedgerStoreError.self) { try await store.addCosignatures(size: 3, lines: ["— w a"]) }
        try await store.addCheckpoint(size: 3, note: "checkpoint 3")
        try await store.addCosignatures(size: 3, lines: ["— w1 a", "— w2 b"])
        try await store.addCosignatures(size: 3, lines: ["— w1 a"])
        #expect(try await store.cosignatures(size: 3).sorted() == ["— w1 a", "— w2 b"])
        #expect(try await store.cosignatures(size: 2).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func recordsAreReadBackByNumberInTheOrderAsked(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await appendEntries(Self.entries(0..<10), to: store)
        #expect(
            try await store.records(at: [7, 2, 7, 0]) == [
                Self.entries(7..<8)[0], Self.entries(2..<3)[0], Self.entries(7..<8)[0], Self.entries(0..<1)[0],
            ])
        #expect(try await store.records(at: []).isEmpty)
        await #expect(throws: LedgerStoreError.self) { try await store.records(at: [3, 10]) }
    }

    @Test(arguments: StoreKind.available)
    func theIndexGrowsWithTheLogAndCanBeRebuilt(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.indexedSize() == 0)
        @Sendable func entry(_ key: String, _ seq: Int64) -> IndexEntry { IndexEntry(key: key, seq: seq) }
        let head = try await store.append { head in
            let batch = AppendBatch(appending: Self.entries(0..<3), to: head)
            return AppendBatch(
                records: batch.records, hashes: batch.hashes, head: batch.head,
                index: [entry("a", 0), entry("b", 1), entry("a", 2)])
        }
        #expect(head.size == 3)
        #expect(try await store.indexedSize() == 3)
        #expect(try await store.lookup(["a", "c"], from: 0) == [entry("a", 0), entry("a", 2)])
        #expect(try await store.indexEntries(in: 1..<3) == [entry("b", 1), entry("a", 2)])
        let keys = try await store.indexKeys(in: 0..<3)
        #expect(keys.keys(of: 0) == [Array("a".utf8)[...]] && keys.keys(of: 1) == [Array("b".utf8)[...]])
        #expect(keys.has(packed: Array("a".utf8), ends: [1], for: 2))
        #expect(!keys.has(packed: Array("b".utf8), ends: [1], for: 2))
        #expect(!keys.has(packed: Array("ab".utf8), ends: [1, 2], for: 2))
        #expect(try await store.lookup(["a", "b"], from: 1) == [entry("a", 2), entry("b", 1)])
        // An entry outside its batch is a bug: the whole batch is refused.
        await #expect(throws: LedgerStoreError.self) {
            try await store.append { head in
                let batch = AppendBatch(appending: Self.entries(3..<4), to: head)
                return AppendBatch(
                    records: batch.records, hashes: batch.hashes, head: batch.head, index: [entry("x", 0)])
            }
        }
        #expect(try await store.size() == 3)
        // Reset, then catch up from the log; appends leave a lagging index alone.
        try await store.resetIndex()
        #expect(try await store.indexedSize() == 0)
        #expect(try await store.lookup(["a"], from: 0).isEmpty)
        _ = try await store.append { head in
            let batch = AppendBatch(appending: Self.entries(3..<4), to: head)
            return AppendBatch(records: batch.records, hashes: batch.hashes, head: batch.head, index: [entry("d", 3)])
        }
        #expect(try await store.indexedSize() == 0)
        await #expect(throws: LedgerStoreError.self) { try await store.addIndex([entry("a", 0)], from: 1, to: 2) }
        await #expect(throws: LedgerStoreError.self) { try await store.addIndex([entry("a", 5)], from: 0, to: 4) }
        await #expect(throws: LedgerStoreError.self) { try await store.addIndex([], from: 0, to: 5) }
        try await store.addIndex([entry("a", 0), entry("b", 1)], from: 0, to: 2)
        try await store.addIndex([entry("a", 2), entry("d", 3)], from: 2, to: 4)
        #expect(try await store.indexedSize() == 4)
        #expect(
            try await store.lookup(["a", "b", "d"], from: 0) == [
                entry("a", 0), entry("a", 2), entry("b", 1), entry("d", 3),
            ])
    }

    @Test(arguments: StoreKind.available)
    func readsOutsideTheLogAreErrors(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await appendEntries(Self.entries(0..<3), to: store)
        await #expect(throws: LedgerStoreError.self) { try await store.records(2..<4) }
        await #expect(throws: LedgerStoreError.self) { try await store.hashes(at: [99]) }
        await #expect(throws: LedgerStoreError.self) { try await store.hashes(in: 0..<99) }
    }

    @Test(arguments: StoreKind.available)
    func aBatchThatDoesNotFitTheHeadIsRefusedWhole(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await appendEntries(Self.entries(0..<3), to: store)
        await #expect(throws: LedgerStoreError.self) {
            try await store.append { head in
                AppendBatch(records: [[1], [2]], hashes: [], head: head)
            }
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await store.append { _ in throw Refused() } }
        #expect(try await store.size() == 3)
        #expect(try await store.hashes(in: 0..<StoredHashes.count(size: 3)).count == 4)
    }

    @Test(arguments: StoreKind.available)
    func checkpointsOnlyGrow(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await appendEntries(Self.entries(0..<10), to: store)
        #expect(try await store.latestCheckpoint() == nil)
        try await store.addCheckpoint(size: 4, note: "four")
        try await store.addCheckpoint(size: 10, note: "ten")
        await #expect(throws: LedgerStoreError.staleCheckpoint(size: 9, latest: 10)) {
            try await store.addCheckpoint(size: 9, note: "nine")
        }
        await #expect(throws: LedgerStoreError.staleCheckpoint(size: 10, latest: 10)) {
            try await store.addCheckpoint(size: 10, note: "again")
        }
        await #expect(throws: LedgerStoreError.self) { try await store.addCheckpoint(size: 11, note: "future") }
        #expect(
            try await store.checkpoints() == [
                StoredCheckpoint(size: 4, note: "four"), StoredCheckpoint(size: 10, note: "ten"),
            ])
        #expect(try await store.latestCheckpoint()?.size == 10)
    }

    @Test(arguments: StoreKind.available)
    func concurrentAppendsGetOneGapFreeOrder(kind: StoreKind) async throws {
        let store = try await kind.make()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for batch in 0..<10 {
                        _ = try await appendEntries(
                            Self.entries(writer * 1000 + batch * 10..<writer * 1000 + batch * 10 + 7), to: store)
                    }
                }
            }
            try await group.waitForAll()
        }
        let records = try await store.records(0..<560)
        #expect(Set(records).count == 560)
        var range = CompactRange()
        var hashes: [Hash] = []
        for record in records { range.append(Merkle.leafHash(record), into: &hashes) }
        #expect(try await store.hashes(in: 0..<Int64(hashes.count)) == hashes)
    }
}

struct SQLiteLedgerStoreTests {
    @Test func theFileIsDurableAndAppendOnly() async throws {
        let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        _ = try await appendEntries(StoreConformanceTests.entries(0..<4), to: store)
        try await store.addCheckpoint(size: 4, note: "four")

        let raw = try DatabaseQueue(path: path)
        let mode = try await raw.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        for sql in [
            "UPDATE records SET bytes = x'00' WHERE seq = 1", "DELETE FROM records WHERE seq = 3",
            "UPDATE hashes SET hash = zeroblob(32) WHERE idx = 0", "DELETE FROM hashes",
            "UPDATE checkpoints SET note = 'x'", "DELETE FROM checkpoints", "UPDATE meta SET value = 'x'",
            "DELETE FROM meta",
        ] {
            #expect(throws: DatabaseError.self, "\(sql)") { try raw.write { try $0.execute(sql: sql) } }
        }
        #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "INSERT INTO checkpoints(size, note) VALUES (2, 'older')") }
        }
        let reopened = try SQLiteLedgerStore.open(path: path)
        #expect(try await reopened.records(0..<4) == StoreConformanceTests.entries(0..<4))
        #expect(try await reopened.latestCheckpoint()?.note == "four")
    }

    @Test func theIndexIsOneBTreeByKeyThatLookupsAndErasuresSearch() throws {
        let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
        _ = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        func plan(_ sql: String, _ arguments: StatementArguments) throws -> [String] {
            try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map {
                    $0["detail"] as String
                }
            }
        }
        for (sql, arguments): (String, StatementArguments) in [
            (SQLiteLedgerStore.lookupSQL, StatementArguments(["k", 0])),
            (SQLiteLedgerStore.keyBlockSQL, StatementArguments(["k", 0, 10])),
        ] {
            let steps = try plan(sql, arguments)
            #expect(steps.contains { $0.contains("SEARCH index_runs USING PRIMARY KEY (key=? AND last>?") }, "\(steps)")
            #expect(!steps.contains { $0.contains("TEMP B-TREE") }, "\(steps)")
        }
        func indexes() throws -> [String] {
            try DatabaseQueue(path: path).read {
                try String.fetchAll(
                    $0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'index_runs'")
            }
        }
        #expect(try indexes().allSatisfy { $0.hasPrefix("sqlite_autoindex") })
        // A file from before `v11-no-runs-by-first` loses the second B-tree when it is next opened.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE INDEX index_runs_by_first ON index_runs(first, gaps)")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v11-no-runs-by-first'")
        }
        #expect(try indexes().contains("index_runs_by_first"))
        _ = try SQLiteLedgerStore.open(path: path)
        #expect(try !indexes().contains("index_runs_by_first"))
    }

    @Test func aNewLedgerHas16KiBPagesAndAnOlderOneKeepsItsOwn() async throws {
        let folder = try TemporaryFolder.make()
        let path = folder.appendingPathComponent("l.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        #expect(try store.pragma("page_size") == 16384)
        #expect(try store.pragma("cache_size") == -8000)  // KiB: 500 pages
        #expect(
            try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        // A file made with 4 KiB pages (as ledgers were) keeps them when opened, and works.
        let older = folder.appendingPathComponent("older.db").path
        try await DatabaseQueue(path: older).write { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "PRAGMA application_id = \(SQLiteLedgerStore.applicationID)")
        }
        try await DatabaseQueue(path: older).writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
        }
        let opened = try SQLiteLedgerStore.open(path: older)
        #expect(try opened.pragma("page_size") == 4096)
        _ = try await opened.append { head in AppendBatch(appending: [[1, 2, 3]], to: head, index: [], openings: [:]) }
        #expect(try await opened.records(0..<1) == [[1, 2, 3]])
    }

    @Test func synchronousIsFullByDefault() async throws {
        let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
        let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
        #expect(try store.pragma("synchronous") == 2)  // FULL
        let relaxed = try SQLiteLedgerStore.open(path: path, durability: .normal)
        #expect(try relaxed.pragma("synchronous") == 1)  // NORMAL
    }

    @Test func locationsAreCheckedBeforeUse() throws {
        let folder = try TemporaryFolder.make()
        let missing = folder.appendingPathComponent("missing.db").path
        #expect(throws: LedgerStoreError.notFound(missing)) { try SQLiteLedgerStore.open(path: missing) }
        let text = folder.appendingPathComponent("notes.txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: LedgerStoreError.notALedger(text)) { try SQLiteLedgerStore.open(path: text) }
        #expect(throws: LedgerStoreError.alreadyExists(text)) {
            try SQLiteLedgerStore.create(path: text, metadata: StoreKind.metadata)
        }
        let other = folder.appendingPathComponent("other.db").path
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t(x)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        #expect(throws: LedgerStoreError.notALedger(other)) { try SQLiteLedgerStore.open(path: other) }
        // Looking must not touch someone else's database (a pool would have switched it to WAL mode).
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        #expect(try DatabaseQueue(path: other).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
    }
}
