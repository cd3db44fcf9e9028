import GRDB
import GRDBSQLite
import LedgerStore

/// The derived index, stored as runs (`IndexRun`, Specs/04 §2, "The index's runs").
extension SQLiteLedgerStore {
    /// The runs that may hold records of a span: those beginning in the span's blocks. There is no index by
    /// record (an append would write it too), so this reads the whole table: only an audit's comparison of a block
    /// that disagrees does, and a test.
    package static let indexSpanSQL = "SELECT key, first, last, gaps FROM index_runs WHERE first >= ? AND first < ?"
    /// A key's runs from a record on (a lookup), and a key's runs in a block (an erasure's rewrite): both searches
    /// of the table's primary key.
    package static let lookupSQL = "SELECT first, last, gaps FROM index_runs WHERE key = ? AND last >= ? ORDER BY last"
    package static let keyBlockSQL = "SELECT first, last, gaps FROM index_runs WHERE key = ? AND last >= ? AND last < ?"

    public func indexedSize() async throws -> Int64 {
        try await pool.read { try Self.indexedSize($0) }
    }

    public func lookup(_ keys: [String], from: Int64) async throws -> [IndexEntry] {
        guard !keys.isEmpty else { return [] }
        // One cached statement run key by key, bound with SQLite's own calls: an append looks up each of its
        // thousands of statements' duplicate keys, and most are not there. In order, so that the lookups walk the
        // index's B-tree forwards (String's order is the bytes' for the ASCII keys most are, and cheap to compare;
        // for the rest, any order finds the same rows). A key's runs cover disjoint spans, so in the order of
        // their last records they give its records in order.
        let unique = Set(keys).sorted()
        return try await pool.read { db in
            let statement = try db.cachedStatement(sql: Self.lookupSQL)
            var out: [IndexEntry] = []
            for key in unique {
                var text = key
                try text.withUTF8 { bytes in
                    try Self.step(statement, db) { raw in
                        sqlite3_bind_text(raw, 1, bytes.baseAddress, Int32(bytes.count), nil)
                        sqlite3_bind_int64(raw, 2, from)
                    } row: { raw in
                        try Self.forEachSeq(raw, columns: 0) { seq in
                            if seq >= from { out.append(IndexEntry(key: key, seq: seq)) }
                        }
                    }
                }
            }
            return out
        }
    }

    public func indexEntries(in range: Range<Int64>) async throws -> [IndexEntry] {
        try await pool.read { db in
            var entries: [IndexEntry] = []
            try Self.forEachRun(db, in: range) { key, seqs in
                let key = String(decoding: key, as: UTF8.self)
                for seq in seqs { entries.append(IndexEntry(key: key, seq: seq)) }
            }
            return entries.sorted { ($0.seq, $0.key) < ($1.seq, $1.key) }
        }
    }

    public func indexKeys(in range: Range<Int64>) async throws -> IndexKeySpan {
        try await pool.read { db in
            // Each run's key is copied once, and its records in the span noted against it; a counting sort by
            // record then hands the keys over in record order, as the span takes them.
            var keyBytes: [UInt8] = []
            var keyEnds: [Int] = []
            var seqs: [Int64] = []
            var owners: [Int] = []
            try Self.forEachRun(db, in: range) { key, runSeqs in
                keyBytes.append(contentsOf: key)
                keyEnds.append(keyBytes.count)
                for seq in runSeqs {
                    seqs.append(seq)
                    owners.append(keyEnds.count - 1)
                }
            }
            let end = (seqs.max() ?? range.lowerBound) + 1
            var starts = [Int](repeating: 0, count: Int(end - range.lowerBound) + 1)
            for seq in seqs { starts[Int(seq - range.lowerBound) + 1] += 1 }
            for offset in starts.indices.dropFirst() { starts[offset] += starts[offset - 1] }
            var order = [Int](repeating: 0, count: seqs.count)
            for (entry, seq) in seqs.enumerated() {
                let offset = Int(seq - range.lowerBound)
                order[starts[offset]] = entry
                starts[offset] += 1
            }
            var keys = IndexKeySpan(span: range)
            try keyBytes.withUnsafeBytes { bytes in
                for entry in order {
                    let owner = owners[entry]
                    let start = owner == 0 ? 0 : keyEnds[owner - 1]
                    try keys.append(
                        key: UnsafeRawBufferPointer(rebasing: bytes[start..<keyEnds[owner]]), seq: seqs[entry])
                }
            }
            return keys.finished()
        }
    }

    public func indexDigests(below end: Int64, using digest: IndexDigest) async throws -> [UInt64] {
        try await pool.read { db in
            // The table in its own order (by key): each run's key is digested once, then each of its records.
            var sums = [UInt64](repeating: 0, count: IndexDigest.blocks(below: end))
            let statement = try db.cachedStatement(sql: "SELECT key, first, last, gaps FROM index_runs WHERE first < ?")
            let rows = try Row.fetchCursor(statement, arguments: [end])
            let raw = statement.sqliteStatement
            while try rows.next() != nil {
                let key = digest.key(
                    UnsafeRawBufferPointer(
                        start: sqlite3_column_text(raw, 0), count: Int(sqlite3_column_bytes(raw, 0))))
                try Self.forEachSeq(raw, columns: 1) { seq in
                    if seq < end { sums[IndexDigest.block(of: seq)] &+= digest.entry(key: key, seq: seq) }
                }
            }
            return sums
        }
    }

    public func addIndex(_ entries: [IndexEntry], from: Int64, to: Int64) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let indexed = try Self.indexedSize(db)
                guard indexed == from, from <= to, to <= (try Self.size(db)),
                    entries.allSatisfy({ (from..<to).contains($0.seq) })
                else {
                    throw LedgerStoreError.outOfRange(
                        "index entries for records \(from)..<\(to) do not continue the index (it covers \(indexed))")
                }
                try Self.insert(db, IndexRun.runs(of: entries))
                try db.execute(sql: "UPDATE index_state SET size = ? WHERE id = 1", arguments: [to])
                return .commit
            }
        }
    }

    public func resetIndex() async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM index_runs; UPDATE index_state SET size = 0 WHERE id = 1")
        }
    }

    /// Writes `runs`, which begin after every stored run of their keys (or replace a block's runs).
    static func insert(_ db: Database, _ runs: [IndexRun]) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO index_runs(key, last, first, gaps) VALUES (?, ?, ?, ?)")
        for run in runs {
            var key = run.key
            try key.withUTF8 { key in
                try run.gaps.withUnsafeBytes { gaps in
                    try step(statement, db) { raw in
                        sqlite3_bind_text(raw, 1, key.baseAddress, Int32(key.count), nil)
                        sqlite3_bind_int64(raw, 2, run.last)
                        sqlite3_bind_int64(raw, 3, run.first)
                        if gaps.isEmpty {
                            sqlite3_bind_null(raw, 4)
                        } else {
                            sqlite3_bind_blob(raw, 4, gaps.baseAddress, Int32(gaps.count), nil)
                        }
                    }
                }
            }
        }
    }

    /// Replaces the keys of indexed records (an erasure's): for each key a record named or names, the key's runs
    /// in the record's block are read (by the primary key), the record taken out or put in, and the runs written
    /// again, so a key's runs still never overlap.
    static func reindex(_ db: Database, _ changes: [Int64: Reindexing]) throws {
        let select = try db.cachedStatement(sql: keyBlockSQL)
        let delete = try db.cachedStatement(sql: "DELETE FROM index_runs WHERE key = ? AND last >= ? AND last < ?")
        for (seq, change) in changes.sorted(by: { $0.key < $1.key }) {
            let blockStart = IndexRun.block(of: seq) * IndexRun.blockSize
            let named = Set(change.after)
            for key in Set(change.before).union(named).sorted() {
                var text = key
                var seqs: [Int64] = []
                try text.withUTF8 { bytes in
                    let bind: (OpaquePointer) -> Void = { raw in
                        sqlite3_bind_text(raw, 1, bytes.baseAddress, Int32(bytes.count), nil)
                        sqlite3_bind_int64(raw, 2, blockStart)
                        sqlite3_bind_int64(raw, 3, blockStart + IndexRun.blockSize)
                    }
                    try step(select, db, bind: bind) { raw in
                        try forEachSeq(raw, columns: 0) { if $0 != seq { seqs.append($0) } }
                    }
                    try step(delete, db, bind: bind)
                }
                if named.contains(key) { seqs.append(seq) }
                try insert(db, IndexRun.runs(of: seqs.sorted().map { IndexEntry(key: key, seq: $0) }))
            }
        }
    }

    /// Calls `body` with the key (UTF-8, in SQLite's buffer) and the records in `range` of each run that has any.
    private static func forEachRun(
        _ db: Database, in range: Range<Int64>, _ body: (UnsafeRawBufferPointer, [Int64]) throws -> Void
    ) throws {
        guard !range.isEmpty else { return }
        let statement = try db.cachedStatement(sql: indexSpanSQL)
        let rows = try Row.fetchCursor(
            statement,
            arguments: [IndexRun.block(of: range.lowerBound) * IndexRun.blockSize, range.upperBound])
        let raw = statement.sqliteStatement
        var seqs: [Int64] = []
        while try rows.next() != nil {
            seqs.removeAll(keepingCapacity: true)
            try forEachSeq(raw, columns: 1) { if range.contains($0) { seqs.append($0) } }
            guard !seqs.isEmpty else { continue }
            let start = sqlite3_column_text(raw, 0)
            try body(UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(raw, 0))), seqs)
        }
    }

    /// The records of the run in the current row's columns `first`, `first + 1` (last) and `first + 2`
    /// (gaps).
    private static func forEachSeq(
        _ raw: OpaquePointer, columns first: Int32, _ body: (Int64) throws -> Void
    )
        throws
    {
        // The pointer first, then the size (SQLite's rule); a NULL or empty blob has no pointer.
        let start = sqlite3_column_blob(raw, first + 2)
        let count = Int(sqlite3_column_bytes(raw, first + 2))
        try IndexRun.forEachSeq(
            first: sqlite3_column_int64(raw, first), last: sqlite3_column_int64(raw, first + 1),
            gaps: UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count), body)
    }
}
