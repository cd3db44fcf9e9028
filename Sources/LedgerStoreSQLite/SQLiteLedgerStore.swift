import Foundation
import GRDB
import LedgerStore
#if canImport(Glibc)
    import Glibc
#endif
import GRDBSQLite
import TransparencyLog

/// The embedded default store: one SQLite file per ledger, in WAL mode with `synchronous=FULL`,
/// append-only enforced by triggers. `Specs/04-storage.md` gives the schema.
public final class SQLiteLedgerStore: LedgerStore {
    /// `PRAGMA application_id` of a Threadline ledger: "TLN1".
    static let applicationID: Int32 = 0x544C_4E31

    let pool: DatabasePool
    /// The file path.
    public let path: String

    /// How a store commits.
    public enum Durability: Sendable {
        /// `synchronous=FULL`: every commit is on disk before it returns (the default).
        case full
        /// `synchronous=NORMAL`: survives a process crash, may lose the last commits on power loss.
        case normal
    }

    /// The page size of a new ledger file.
    static let pageSize = 16384
    /// Each connection's page cache, in KiB.
    static let cacheKiB = 8000

    /// How much of the file reads may map.
    static let mappedBytes: Int64 = 1 << 40

    private init(path: String, durability: Durability) throws {
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // Only a new, empty file takes it (before WAL mode): 16 KiB pages hold more of the index's keys each, so
            // an append writes fewer pages, and a record (about 1 KiB) shares a page with fifteen others.
            try db.execute(sql: "PRAGMA page_size = \(SQLiteLedgerStore.pageSize)")
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA recursive_triggers = ON")
            // Deleted content (an erased disclosure) is overwritten on disk, not only unlinked.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Reads map the file rather than copy it through read(2): an audit reads the whole log once. (SQLite
            // caps the size at its compile-time limit; the rest of a larger file is read as usual.)
            try db.execute(sql: "PRAGMA mmap_size = \(SQLiteLedgerStore.mappedBytes)")
            // Pages beyond the mapped part of a large file are read into the connection's cache: 500 of them, as
            // many pages as SQLite's default (2,000 KiB) holds of 4 KiB ones.
            try db.execute(sql: "PRAGMA cache_size = -\(SQLiteLedgerStore.cacheKiB)")
        }
        pool = try DatabasePool(path: path, configuration: config)
        self.path = path
    }

    /// Creates a new ledger file at `path`; fails if anything is there.
    public static func create(
        path: String, metadata: LedgerMetadata, durability: Durability = .full
    ) throws
        -> SQLiteLedgerStore
    {
        guard !FileManager.default.fileExists(atPath: path) else { throw LedgerStoreError.alreadyExists(path) }
        do {
            let store = try SQLiteLedgerStore(path: path, durability: durability)
            try store.pool.write { try $0.execute(sql: "PRAGMA application_id = \(applicationID)") }
            try migrator.migrate(store.pool)
            try store.pool.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO meta(key, value) VALUES ('origin', ?), ('operator_key', ?), ('format', 'threadline/v1')",
                    arguments: [metadata.origin, metadata.operatorKey])
            }
            return store
        } catch {
            // Leave nothing half-made behind.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }

    /// Opens the ledger file at `path`, applying any pending migrations.
    public static func open(path: String, durability: Durability = .full) throws -> SQLiteLedgerStore {
        guard FileManager.default.fileExists(atPath: path) else { throw LedgerStoreError.notFound(path) }
        // Look before touching: a pool would switch someone else's database to WAL mode.
        var readOnly = Configuration()
        readOnly.readonly = true
        let id = try? DatabaseQueue(path: path, configuration: readOnly).read {
            try Int32.fetchOne($0, sql: "PRAGMA application_id")
        }
        guard id == applicationID else { throw LedgerStoreError.notALedger(path) }
        let store = try SQLiteLedgerStore(path: path, durability: durability)
        try migrator.migrate(store.pool)
        return store
    }

    /// Named, ordered migrations.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE records (seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 0), bytes BLOB NOT NULL);
                    CREATE TABLE hashes (idx INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
                                         hash BLOB NOT NULL CHECK (length(hash) = 32));
                    CREATE TABLE checkpoints (size INTEGER PRIMARY KEY NOT NULL CHECK (size >= 0), note TEXT NOT NULL);
                    CREATE TRIGGER checkpoints_grow BEFORE INSERT ON checkpoints
                    WHEN NEW.size <= (SELECT COALESCE(MAX(size), -1) FROM checkpoints)
                    BEGIN SELECT RAISE(ABORT, 'threadline: a checkpoint must be newer than the latest'); END;
                    """)
            for table in ["meta", "records", "hashes", "checkpoints"] {
                for operation in ["UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_no_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                            BEGIN SELECT RAISE(ABORT, 'threadline: \(table) are append-only'); END
                            """)
                }
            }
        }
        migrator.registerMigration("v2-index") { db in
            try db.execute(
                sql: """
                    CREATE TABLE index_entries (key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq))
                        WITHOUT ROWID;
                    CREATE TABLE index_state (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL);
                    INSERT INTO index_state(id, size) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v3-cosignatures") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cosignatures (size INTEGER NOT NULL REFERENCES checkpoints(size), line TEXT NOT NULL,
                                               PRIMARY KEY (size, line)) WITHOUT ROWID;
                    CREATE TRIGGER cosignatures_no_update BEFORE UPDATE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'threadline: cosignatures are append-only'); END;
                    CREATE TRIGGER cosignatures_no_delete BEFORE DELETE ON cosignatures
                    BEGIN SELECT RAISE(ABORT, 'threadline: cosignatures are append-only'); END;
                    """)
        }
        migrator.registerMigration("v4-index-by-seq") { db in
            // The audit reads the index record by record; without this, each read scans the whole index.
            // (In a WITHOUT ROWID table the index holds the key too, so it answers that read alone.)
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS index_entries_by_seq ON index_entries(seq)")
        }
        migrator.registerMigration("v5-openings") { db in
            // Sealed records' openings: beside the log, not append-only (an erasure rewrites one).
            try db.execute(
                sql: """
                    CREATE TABLE openings (seq INTEGER PRIMARY KEY NOT NULL REFERENCES records(seq), body BLOB NOT NULL)
                    """)
        }
        migrator.registerMigration("v6-outbox") { db in
            // Subscriptions and their outbox (Specs/26): beside the log, not append-only.
            try db.execute(
                sql: """
                    CREATE TABLE subscriptions (id TEXT PRIMARY KEY NOT NULL, subscriber TEXT NOT NULL, url TEXT NOT NULL,
                        body BLOB NOT NULL, from_seq INTEGER NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE subscription_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                    INSERT INTO subscription_state (id, version) VALUES (1, 0);
                    CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, subscription TEXT NOT NULL,
                        seq INTEGER NOT NULL, topic TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
                        attempts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, due INTEGER NOT NULL,
                        claimant TEXT, claimed_until INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                        UNIQUE (subscription, seq, topic));
                    CREATE INDEX outbox_pending ON outbox(due, id) WHERE state = 'pending';
                    """)
        }
        migrator.registerMigration("v7-queries") { db in
            // Named queries (Specs/26 §8): beside the log, not append-only.
            try db.execute(
                sql: """
                    CREATE TABLE queries (owner TEXT NOT NULL, name TEXT NOT NULL, body BLOB NOT NULL,
                        created INTEGER NOT NULL, PRIMARY KEY (owner, name)) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("v8-index-keys") { db in
            // An event's key became `event:<time>/<hash>`, and events no longer have `gtin:` keys (Specs/10 §3):
            // the index is emptied, and the engine rebuilds it from the log when it next opens the ledger, as for a
            // ledger made before `v2-index`.
            try db.execute(sql: "DELETE FROM index_entries; UPDATE index_state SET size = 0 WHERE id = 1")
        }
        migrator.registerMigration("v9-no-events-key") { db in
            // Events no longer have the `events` key (Specs/10 §3): a query with no indexed condition reads the log.
            try db.execute(sql: "DELETE FROM index_entries WHERE key = 'events'")
        }
        migrator.registerMigration("v10-index-runs") { db in
            // The index is kept as runs (`IndexRun`): the old table is dropped, and the engine rebuilds the index
            // from the log when it next opens the ledger.
            try db.execute(
                sql: """
                    DROP TABLE index_entries;
                    CREATE TABLE index_runs (key TEXT NOT NULL, last INTEGER NOT NULL,
                        first INTEGER NOT NULL CHECK (first >= 0 AND first <= last), gaps BLOB,
                        PRIMARY KEY (key, last)) WITHOUT ROWID;
                    CREATE INDEX index_runs_by_first ON index_runs(first, gaps);
                    UPDATE index_state SET size = 0 WHERE id = 1;
                    """)
        }
        migrator.registerMigration("v11-no-runs-by-first") { db in
            // The audit compares the index by keyed digests, reading the runs in key order (Specs/10 §3), and an
            // erasure rewrites its record's runs by key: the second B-tree every index row was written to goes.
            try db.execute(sql: "DROP INDEX IF EXISTS index_runs_by_first")
        }
        return migrator
    }

    /// The value of an integer pragma on a read connection (for checks and tests).
    package func pragma(_ name: String) throws -> Int? {
        try pool.read { try Int.fetchOne($0, sql: "PRAGMA \(name)") }
    }

    public func metadata() async throws -> LedgerMetadata {
        try await pool.read { db in
            let rows = try [String: String](
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
                    ($0["key"], $0["value"])
                })
            guard let origin = rows["origin"], let key = rows["operator_key"] else {
                throw LedgerStoreError.notALedger(self.path)
            }
            return LedgerMetadata(origin: origin, operatorKey: key)
        }
    }

    public func size() async throws -> Int64 {
        try await pool.read { try Self.size($0) }
    }

    static func size(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM records") ?? 0
    }

    public func append(_ build: @Sendable (LedgerHead) throws -> AppendBatch) async throws -> LedgerHead {
        try await pool.writeWithoutTransaction { db in
            var result = LedgerHead.empty
            try db.inTransaction(.immediate) {
                let size = try Self.size(db)
                var head = try LedgerHead(size: size, hashes: Self.hashes(db, at: LedgerHead.indices(size: size)))
                head.subscriptions = try Self.subscriptionsVersion(db)
                let batch = try build(head)
                try batch.check(extending: head)
                try Self.insertPending(db, batch.outbox, now: batch.outboxMillis)
                let insertRecord = try db.cachedStatement(sql: "INSERT INTO records(seq, bytes) VALUES (?, ?)")
                for (i, bytes) in batch.records.enumerated() {
                    try Self.insert(insertRecord, db, size + Int64(i), blob: bytes)
                }
                let insertHash = try db.cachedStatement(sql: "INSERT INTO hashes(idx, hash) VALUES (?, ?)")
                let first = StoredHashes.count(size: size)
                for (i, hash) in batch.hashes.enumerated() {
                    try hash.withBytes { try Self.insert(insertHash, db, first + Int64(i), bytes: $0) }
                }
                if !batch.openings.isEmpty {
                    let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO openings(seq, body) VALUES (?, ?)")
                    for (seq, body) in batch.openings.sorted(by: { $0.key < $1.key }) {
                        try Self.insert(upsert, db, seq, blob: body)
                    }
                }
                let indexed = try Self.indexedSize(db)
                try Self.reindex(db, batch.reindexed.filter { $0.key < indexed })
                if indexed == size {
                    try Self.insert(db, IndexRun.runs(of: batch.index))
                    try db.execute(sql: "UPDATE index_state SET size = ? WHERE id = 1", arguments: [batch.head.size])
                }
                result = batch.head
                return .commit
            }
            return result
        }
    }

    static func indexedSize(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT size FROM index_state WHERE id = 1") ?? 0
    }

    /// `(integer, blob)` into a cached two-column INSERT.
    private static func insert(_ statement: Statement, _ db: Database, _ number: Int64, blob: [UInt8]) throws {
        try blob.withUnsafeBytes { try insert(statement, db, number, bytes: $0) }
    }

    private static func insert(
        _ statement: Statement, _ db: Database, _ number: Int64, bytes: UnsafeRawBufferPointer
    ) throws {
        try step(statement, db) { raw in
            sqlite3_bind_int64(raw, 1, number)
            sqlite3_bind_blob(raw, 2, bytes.baseAddress, Int32(bytes.count), nil)
        }
    }

    /// Binds with SQLite's own calls and runs a cached statement, handing each row it returns to `row`: GRDB's
    /// arguments would box every value of the hundreds of thousands an import writes and looks up. The bound
    /// buffers are the caller's and outlive the step (no destructor: SQLITE_STATIC); they are cleared before the
    /// statement is reused.
    static func step(
        _ statement: Statement, _ db: Database, bind: (OpaquePointer) -> Void,
        row: (OpaquePointer) throws -> Void = { _ in }
    ) throws {
        let raw = statement.sqliteStatement
        sqlite3_reset(raw)
        bind(raw)
        defer {
            sqlite3_clear_bindings(raw)
            sqlite3_reset(raw)
        }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_ROW {
                try row(raw)
                continue
            }
            guard code == SQLITE_DONE else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            return
        }
    }

    public func cosignatures(size: Int64) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT line FROM cosignatures WHERE size = ? ORDER BY line", arguments: [size])
        }
    }

    public func addCosignatures(size: Int64, lines: [String]) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                guard
                    try Int64.fetchOne(db, sql: "SELECT size FROM checkpoints WHERE size = ?", arguments: [size]) != nil
                else { throw LedgerStoreError.outOfRange("no checkpoint of size \(size) is stored") }
                for line in lines {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO cosignatures(size, line) VALUES (?, ?)", arguments: [size, line])
                }
                return .commit
            }
        }
    }

    /// Asks the kernel to read the ledger's files into memory ahead of an audit or a reindex
    /// (`POSIX_FADV_WILLNEED`: it starts the reads and returns). An audit of a ledger no longer in memory otherwise
    /// faults its pages in one by one through the map, which on a 200,000-event ledger cost a fifth more time and
    /// CPU than the reads themselves. Files larger than a quarter of the machine's memory are left alone: they
    /// would push out their own start.
    public func willReadAll() async {
        #if os(Linux)
            for file in [path, path + "-wal"] {
                let descriptor = Glibc.open(file, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                defer { close(descriptor) }
                var status = stat()
                guard fstat(descriptor, &status) == 0,
                    UInt64(status.st_size) <= ProcessInfo.processInfo.physicalMemory / 4
                else { continue }
                _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_WILLNEED))
            }
        #endif
    }

    public func records(_ range: Range<Int64>) async throws -> [[UInt8]] {
        try await pool.read { db in
            var out = RangeCollector<[UInt8]>(range, singular: "record", plural: "records")
            try Self.forEachRaw(
                db, "SELECT seq, bytes FROM records WHERE seq >= ? AND seq < ? ORDER BY seq", range
            ) { index, bytes in
                try out.add(
                    index: index,
                    [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
                        count = bytes.count
                        if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes) }
                    })
            }
            return try out.finish()
        }
    }

    public func records(at seqs: [Int64]) async throws -> [[UInt8]] {
        guard !seqs.isEmpty else { return [] }
        return try await pool.read { db in
            var found: [Int64: [UInt8]] = [:]
            try Self.rows(db, "SELECT seq, bytes FROM records WHERE seq IN", Array(Set(seqs))) { row in
                found[row[0]] = try Self.bytes(row, 1)
            }
            return try seqs.map {
                guard let bytes = found[$0] else {
                    throw LedgerStoreError.outOfRange("record \($0) is not in the ledger")
                }
                return bytes
            }
        }
    }

    public func openings(at seqs: [Int64]) async throws -> [Int64: [UInt8]] {
        guard !seqs.isEmpty else { return [:] }
        return try await pool.read { db in
            var found: [Int64: [UInt8]] = [:]
            try Self.rows(db, "SELECT seq, body FROM openings WHERE seq IN", Array(Set(seqs))) { row in
                found[row[0]] = try Self.bytes(row, 1)
            }
            return found
        }
    }

    public func openings(in range: Range<Int64>) async throws -> [Int64: [UInt8]] {
        try await pool.read { db in
            var found: [Int64: [UInt8]] = [:]
            // Most records of a sealed ledger have one: room for each spares rehashing a growing table.
            found.reserveCapacity(Int(min(range.count, 1 << 16)))
            try Self.forEachRaw(db, "SELECT seq, body FROM openings WHERE seq >= ? AND seq < ?", range) { seq, body in
                found[seq] = [UInt8](body)
            }
            return found
        }
    }

    /// A blob column's bytes, copied once from SQLite's buffer (reading it as `Data` first would copy twice).
    private static func bytes(_ row: Row, _ index: Int) throws -> [UInt8] {
        try row.withUnsafeData(atIndex: index) { data in data?.withUnsafeBytes { [UInt8]($0) } ?? [] }
    }

    public func hashes(at indices: [Int64]) async throws -> [Hash] {
        try await pool.read { try Self.hashes($0, at: indices) }
    }

    private static func hashes(_ db: Database, at indices: [Int64]) throws -> [Hash] {
        guard !indices.isEmpty else { return [] }
        var found: [Int64: Hash] = [:]
        try rows(db, "SELECT idx, hash FROM hashes WHERE idx IN", indices) { row in
            guard let hash = Hash(bytes: row[1] as Data) else {
                throw LedgerStoreError.corrupt("stored hash \(row[0] as Int64) is not 32 bytes")
            }
            found[row[0]] = hash
        }
        return try RangeCollector.ordered(found, at: indices)
    }

    /// Runs `sql` followed by `(?, ?, …)` over `values` in chunks of 500 (SQLite's bound-parameter limit is
    /// larger, but long lists are slower), calling `each` for every row.
    private static func rows(
        _ db: Database, _ sql: String, _ values: [some DatabaseValueConvertible], _ each: (Row) throws -> Void
    ) throws {
        for chunk in stride(from: 0, to: values.count, by: 500) {
            let part = values[chunk..<min(chunk + 500, values.count)]
            let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
            let cursor = try Row.fetchCursor(
                db, sql: "\(sql) (\(marks))", arguments: StatementArguments(Array(part)))
            while let row = try cursor.next() { try each(row) }
        }
    }

    public func hashes(in range: Range<Int64>) async throws -> [Hash] {
        try await pool.read { db in
            var out = RangeCollector<Hash>(
                range, singular: "stored hash", plural: "stored hashes", malformed: " or not 32 bytes")
            try Self.forEachRaw(
                db, "SELECT idx, hash FROM hashes WHERE idx >= ? AND idx < ? ORDER BY idx", range
            ) { index, bytes in try out.add(index: index, Hash(bytes: bytes)) }
            return try out.finish()
        }
    }

    /// Runs `sql` (an integer and a blob per row, over `range`), calling `each` with each row's integer and the
    /// blob's bytes in place in SQLite's buffer: the audit reads every record and hash this way, without a GRDB
    /// `Row` or a `Data` for each.
    private static func forEachRaw(
        _ db: Database, _ sql: String, _ range: Range<Int64>, _ each: (Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let statement = try db.cachedStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: [range.lowerBound, range.upperBound])
        let raw = statement.sqliteStatement
        while try rows.next() != nil {
            // The pointer first, then the size (SQLite's rule); a zero-length blob has no pointer.
            let start = sqlite3_column_blob(raw, 1)
            let count = Int(sqlite3_column_bytes(raw, 1))
            try each(
                sqlite3_column_int64(raw, 0), UnsafeRawBufferPointer(start: count == 0 ? nil : start, count: count))
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT size, note FROM checkpoints ORDER BY size").map {
                StoredCheckpoint(size: $0["size"], note: $0["note"])
            }
        }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1").map {
                StoredCheckpoint(size: $0["size"], note: $0["note"])
            }
        }
    }

    public func addCheckpoint(size: Int64, note: String) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let latest = try Int64.fetchOne(db, sql: "SELECT MAX(size) FROM checkpoints")
                if let latest, latest >= size { throw LedgerStoreError.staleCheckpoint(size: size, latest: latest) }
                guard size <= (try Self.size(db)) else {
                    throw LedgerStoreError.outOfRange("a checkpoint of size \(size) is beyond the log's end")
                }
                try db.execute(sql: "INSERT INTO checkpoints(size, note) VALUES (?, ?)", arguments: [size, note])
                return .commit
            }
        }
    }
}
