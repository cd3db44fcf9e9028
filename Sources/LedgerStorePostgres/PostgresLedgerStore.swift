import Foundation
import LedgerStore
import Logging
import PostgresNIO
import TransparencyLog

/// The ledger on PostgreSQL: many processes, on many machines, append to one database and the log keeps
/// one gap-free, fork-free order. Sequencing takes a row lock on the single `head` row (`SELECT … FOR UPDATE`)
/// rather than an advisory lock, so the hot path stays within the SQL that PostgreSQL-compatible distributed
/// databases accept. `Specs/06-postgres.md` gives the schema and the protocol.
public final class PostgresLedgerStore: LedgerStore {
    let pool: ConnectionPool
    let logger: Logger
    /// Where the ledger is, without its password.
    public let location: String

    /// Failures a test can inject where none can be timed from outside.
    package struct Faults: Sendable {
        /// Runs inside an append's transaction, just before COMMIT is sent, with the connection's backend pid.
        package var beforeCommit: @Sendable (Int32) async throws -> Void

        package init(beforeCommit: @escaping @Sendable (Int32) async throws -> Void) {
            self.beforeCommit = beforeCommit
        }
    }

    private let faults: Faults?

    private init(url: PostgresURL, logger: Logger, faults: Faults? = nil) throws {
        pool = ConnectionPool(configuration: try url.configuration, logger: logger)
        self.logger = logger
        self.location = url.redacted
        self.faults = faults
    }

    deinit {
        let pool = self.pool
        Task { await pool.close() }
    }

    /// Connects once, so that a wrong address, password or database fails at once with the server's own reason.
    private func probe() async throws {
        do {
            _ = try await pool.withConnection { _ in true }
        } catch {
            throw LedgerStoreError.unavailable("\(location): \(Self.describe(error))")
        }
    }

    /// Creates a ledger in the (existing, empty) database at `url`.
    public static func create(
        url: String, metadata: LedgerMetadata, logger: Logger = PostgresLedgerStore.quiet
    )
        async throws -> PostgresLedgerStore
    {
        let store = try PostgresLedgerStore(url: try PostgresURL(url), logger: logger)
        try await store.probe()
        try await store.guarded {
            if try await store.hasLedger() { throw LedgerStoreError.alreadyExists(store.location) }
            try await store.migrate()
            _ = try await store.transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO meta (key, value) VALUES ('origin', \(metadata.origin)),
                        ('operator_key', \(metadata.operatorKey)), ('format', 'threadline/v1')
                    """, logger: logger)
            }
        }
        return store
    }

    /// Opens the ledger in the database at `url`, applying any pending migrations.
    public static func open(url: String, logger: Logger = PostgresLedgerStore.quiet) async throws -> PostgresLedgerStore
    {
        try await open(url: url, logger: logger, faults: nil)
    }

    /// Opens with injected faults (tests only).
    package static func open(
        url: String, logger: Logger = PostgresLedgerStore.quiet, faults: Faults?
    ) async throws
        -> PostgresLedgerStore
    {
        let store = try PostgresLedgerStore(url: try PostgresURL(url), logger: logger, faults: faults)
        try await store.probe()
        try await store.guarded {
            guard try await store.hasLedger() else { throw LedgerStoreError.notFound(store.location) }
            try await store.migrate()
        }
        return store
    }

    /// A logger that drops everything (the default: the CLI has its own).
    public static let quiet = Logger(label: "threadline.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: LedgerStore

    public func metadata() async throws -> LedgerMetadata {
        try await reading {
            try await self.pool.withConnection { connection in
                var values: [String: String] = [:]
                for try await (key, value) in try await connection.query(
                    "SELECT key, value FROM meta", logger: self.logger
                )
                .decode((String, String).self) {
                    values[key] = value
                }
                guard let origin = values["origin"], let key = values["operator_key"] else {
                    throw LedgerStoreError.notALedger(self.location)
                }
                return LedgerMetadata(origin: origin, operatorKey: key)
            }
        }
    }

    public func size() async throws -> Int64 {
        try await reading {
            try await self.pool.withConnection { connection in
                for try await size in try await connection.query(
                    "SELECT size FROM head WHERE id = 1", logger: self.logger
                )
                .decode(Int64.self) {
                    return size
                }
                throw LedgerStoreError.corrupt("the head row is missing")
            }
        }
    }

    public func append(_ build: @Sendable (LedgerHead) throws -> AppendBatch) async throws -> LedgerHead {
        try await guarded {
            try await pool.withConnection { connection in
                try await self.append(on: connection, build)
            }
        }
    }

    /// One batch, one transaction: lock the head row, extend, insert, move the head, commit.
    private func append(
        on connection: LiveConnection, _ build: (LedgerHead) throws -> AppendBatch
    ) async throws
        -> LedgerHead
    {
        do { try await connection.query("BEGIN", logger: logger) } catch  where Self.endsSession(error) {
            throw DeadOnArrival(error: error)
        }
        let batch: AppendBatch
        let size: Int64
        do {
            // Durable at commit whatever the server's default.
            try await connection.query("SET LOCAL synchronous_commit = on", logger: logger)
            var locked: Int64?
            for try await value in try await connection.query(
                "SELECT size FROM head WHERE id = 1 FOR UPDATE", logger: logger
            ).decode(Int64.self) {
                locked = value
            }
            guard let locked else { throw LedgerStoreError.corrupt("the head row is missing") }
            size = locked
            var head = try LedgerHead(
                size: size, hashes: try await Self.hashes(on: connection, at: LedgerHead.indices(size: size), logger))
            head.subscriptions = try await Self.subscriptionsVersion(on: connection, logger)
            do { batch = try build(head) } catch { throw CallerError(error: error) }
            try batch.check(extending: head)
            try await Self.insertPending(batch.outbox, now: batch.outboxMillis, on: connection, logger)
            let seqs = (0..<Int64(batch.records.count)).map { size + $0 }
            let bytes = batch.records.map { ByteBuffer(bytes: $0) }
            try await connection.query(
                "INSERT INTO records (seq, bytes) SELECT * FROM UNNEST(\(seqs)::BIGINT[], \(bytes)::BYTEA[])",
                logger: logger)
            let first = StoredHashes.count(size: size)
            let indices = (0..<Int64(batch.hashes.count)).map { first + $0 }
            let hashes = batch.hashes.map { $0.withBytes { ByteBuffer(bytes: $0) } }
            try await connection.query(
                "INSERT INTO hashes (idx, hash) SELECT * FROM UNNEST(\(indices)::BIGINT[], \(hashes)::BYTEA[])",
                logger: logger)
            try await connection.query("UPDATE head SET size = \(batch.head.size) WHERE id = 1", logger: logger)
            if !batch.openings.isEmpty {
                let rows = batch.openings.sorted { $0.key < $1.key }
                let (seqs, bodies) = (rows.map(\.key), rows.map { ByteBuffer(bytes: $0.value) })
                try await connection.query(
                    """
                    INSERT INTO openings (seq, body) SELECT * FROM UNNEST(\(seqs)::BIGINT[], \(bodies)::BYTEA[])
                    ON CONFLICT (seq) DO UPDATE SET body = EXCLUDED.body
                    """, logger: logger)
            }
            let indexed = try await Self.indexedSize(on: connection, logger)
            for (seq, keys) in batch.reindexed.sorted(by: { $0.key < $1.key }) where seq < indexed {
                try await connection.query("DELETE FROM index_entries WHERE seq = \(seq)", logger: logger)
                try await Self.insert(keys.after.map { IndexEntry(key: $0, seq: seq) }, on: connection, logger)
            }
            if indexed == size {
                try await Self.insert(batch.index, on: connection, logger)
                try await connection.query(
                    "UPDATE index_state SET size = \(batch.head.size) WHERE id = 1", logger: logger)
            }
        } catch {
            await rollBack(connection, after: error)
            throw error
        }
        do {
            if let faults {
                for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: logger)
                    .decode(Int32.self)
                {
                    try await faults.beforeCommit(pid)
                }
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            // The server may have committed before the connection broke: read back what is there.
            try await confirmCommit(of: batch, at: size, after: error)
        }
        return batch.head
    }

    /// Rolls back the open transaction on `connection` after `error` — but only while the connection is usable.
    /// After a connection-level failure the server has already discarded the transaction with the session, and
    /// a ROLLBACK sent on a closed connection may never be answered.
    private func rollBack(_ connection: LiveConnection, after error: any Error) async {
        guard !connection.isClosed, !Self.endsSession(error) else { return }
        _ = try? await connection.query("ROLLBACK", logger: logger)
    }

    /// One transaction on a pooled connection: BEGIN, `body`, COMMIT (rolled back safely on error).
    func transaction<T: Sendable>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try await connection.query("BEGIN", logger: self.logger)
            let result: T
            do { result = try await body(connection) } catch {
                await self.rollBack(connection, after: error)
                throw error
            }
            try await connection.query("COMMIT", logger: self.logger)
            return result
        }
    }

    /// Whether `error` means the server ended the session (a fatal error or a lost connection).
    static func endsSession(_ error: any Error) -> Bool {
        if error is LiveConnection.Closed { return true }
        guard let psql = error as? PSQLError else { return false }
        guard let severity = psql.serverInfo?[.severity] else { return true }
        return severity == "FATAL" || severity == "PANIC"
    }

    /// After a failed COMMIT, on another connection: returns if the batch is in the log, throws `unavailable`
    /// if it is not, and `commitUnknown` if that cannot be told.
    private func confirmCommit(of batch: AppendBatch, at size: Int64, after error: any Error) async throws {
        let stored: [[UInt8]]
        do { stored = try await records(size..<size + 1) } catch LedgerStoreError.outOfRange {
            throw LedgerStoreError.unavailable("the batch was not appended: \(Self.describe(error))")
        } catch {
            throw LedgerStoreError.commitUnknown("\(Self.describe(error))")
        }
        guard stored.first == batch.records.first else {
            throw LedgerStoreError.unavailable("the batch was not appended: \(Self.describe(error))")
        }
        logger.warning("COMMIT failed but the batch is in the log", metadata: ["size": "\(size)"])
    }

    public func records(_ range: Range<Int64>) async throws -> [[UInt8]] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out = RangeCollector<[UInt8]>(range, singular: "record", plural: "records")
                let rows = try await connection.query(
                    "SELECT seq, bytes FROM records WHERE seq >= \(range.lowerBound) AND seq < \(range.upperBound) ORDER BY seq",
                    logger: self.logger)
                for try await (seq, bytes) in rows.decode((Int64, ByteBuffer).self) {
                    try out.add(index: seq, Array(bytes.readableBytesView))
                }
                return try out.finish()
            }
        }
    }

    public func records(at seqs: [Int64]) async throws -> [[UInt8]] {
        guard !seqs.isEmpty else { return [] }
        return try await reading {
            try await self.pool.withConnection { connection in
                var found: [Int64: [UInt8]] = [:]
                let rows = try await connection.query(
                    "SELECT seq, bytes FROM records WHERE seq = ANY(\(seqs)::BIGINT[])", logger: self.logger)
                for try await (seq, bytes) in rows.decode((Int64, ByteBuffer).self) {
                    found[seq] = Array(bytes.readableBytesView)
                }
                return try seqs.map {
                    guard let bytes = found[$0] else {
                        throw LedgerStoreError.outOfRange("record \($0) is not in the ledger")
                    }
                    return bytes
                }
            }
        }
    }

    public func openings(at seqs: [Int64]) async throws -> [Int64: [UInt8]] {
        guard !seqs.isEmpty else { return [:] }
        return try await openings("SELECT seq, body FROM openings WHERE seq = ANY(\(seqs)::BIGINT[])")
    }

    public func openings(in range: Range<Int64>) async throws -> [Int64: [UInt8]] {
        try await openings(
            "SELECT seq, body FROM openings WHERE seq >= \(range.lowerBound) AND seq < \(range.upperBound)")
    }

    /// The openings `query` selects (`seq, body`).
    private func openings(_ query: PostgresQuery) async throws -> [Int64: [UInt8]] {
        try await reading {
            try await self.pool.withConnection { connection in
                var found: [Int64: [UInt8]] = [:]
                let rows = try await connection.query(query, logger: self.logger)
                for try await (seq, body) in rows.decode((Int64, ByteBuffer).self) {
                    found[seq] = Array(body.readableBytesView)
                }
                return found
            }
        }
    }

    public func hashes(at indices: [Int64]) async throws -> [Hash] {
        try await reading {
            try await pool.withConnection { try await Self.hashes(on: $0, at: indices, self.logger) }
        }
    }

    private static func hashes(
        on connection: LiveConnection, at indices: [Int64], _ logger: Logger
    ) async throws
        -> [Hash]
    {
        guard !indices.isEmpty else { return [] }
        var found: [Int64: Hash] = [:]
        let rows = try await connection.query(
            "SELECT idx, hash FROM hashes WHERE idx = ANY(\(indices)::BIGINT[])", logger: logger)
        for try await (index, bytes) in rows.decode((Int64, ByteBuffer).self) {
            guard let hash = Hash(bytes: bytes.readableBytesView) else {
                throw LedgerStoreError.corrupt("stored hash \(index) is not 32 bytes")
            }
            found[index] = hash
        }
        return try RangeCollector.ordered(found, at: indices)
    }

    public func hashes(in range: Range<Int64>) async throws -> [Hash] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out = RangeCollector<Hash>(
                    range, singular: "stored hash", plural: "stored hashes", malformed: " or not 32 bytes")
                let rows = try await connection.query(
                    "SELECT idx, hash FROM hashes WHERE idx >= \(range.lowerBound) AND idx < \(range.upperBound) ORDER BY idx",
                    logger: self.logger)
                for try await (index, bytes) in rows.decode((Int64, ByteBuffer).self) {
                    try out.add(index: index, Hash(bytes: bytes.readableBytesView))
                }
                return try out.finish()
            }
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [StoredCheckpoint] = []
                for try await (size, note) in try await connection.query(
                    "SELECT size, note FROM checkpoints ORDER BY size", logger: self.logger
                ).decode((Int64, String).self) {
                    out.append(StoredCheckpoint(size: size, note: note))
                }
                return out
            }
        }
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await reading {
            try await self.pool.withConnection { connection in
                for try await (size, note) in try await connection.query(
                    "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1", logger: self.logger
                ).decode((Int64, String).self) {
                    return StoredCheckpoint(size: size, note: note)
                }
                return nil
            }
        }
    }

    public func addCheckpoint(size: Int64, note: String) async throws {
        try await guarded {
            try await transaction { connection in
                // The head lock orders this with appends and with other signers.
                let logSize = try await Self.lockHead(on: connection, self.logger)
                for try await latest in try await connection.query(
                    "SELECT MAX(size) FROM checkpoints", logger: self.logger
                ).decode(Int64?.self) {
                    if let latest, latest >= size { throw LedgerStoreError.staleCheckpoint(size: size, latest: latest) }
                }
                guard size <= logSize else {
                    throw LedgerStoreError.outOfRange("a checkpoint of size \(size) is beyond the log's end")
                }
                try await connection.query(
                    "INSERT INTO checkpoints (size, note) VALUES (\(size), \(note))", logger: self.logger)
            }
        }
    }

    // MARK: Errors

    /// An error thrown by the caller's own code (`append`'s `build`), passed through untouched.
    private struct CallerError: Error {
        let error: any Error
    }

    /// A connection from the pool was already dead before anything was sent on it: safe to try again.
    private struct DeadOnArrival: Error {
        let error: any Error
    }

    /// Runs `body`, turning driver errors into `LedgerStoreError`s a user can act on. A connection can die
    /// between being taken and being used (a restart, a failover, an administrator's `pg_terminate_backend`);
    /// appends whose BEGIN found it dead, and — with `retryingReads` — reads, which are idempotent, are tried
    /// again on a new connection, three attempts in all.
    func guarded<T>(retryingReads: Bool = false, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as LedgerStoreError {
                throw error
            } catch let error as CallerError {
                throw error.error
            } catch let error as DeadOnArrival where attempt < 3 {
                logger.debug("retrying on a new connection", metadata: ["error": "\(error.error)"])
            } catch let error as DeadOnArrival {
                throw map(error.error)
            } catch  where retryingReads && Self.endsSession(error) && attempt < 3 {
                logger.debug("retrying a read on a new connection", metadata: ["error": "\(error)"])
            } catch {
                throw map(error)
            }
            attempt += 1
        }
    }

    /// Runs a read: like `guarded`, and also retried when its connection turns out to be dead.
    func reading<T>(_ body: () async throws -> T) async throws -> T {
        try await guarded(retryingReads: true, body)
    }

    private func map(_ error: any Error) -> any Error {
        if error is LedgerStoreError { return error }
        if let psql = error as? PSQLError {
            if psql.serverInfo?[.sqlState] == "23505" {
                return LedgerStoreError.corrupt(
                    "a sequence number or stored hash was written twice: \(Self.describe(error))")
            }
            if psql.serverInfo == nil {
                return LedgerStoreError.unavailable("\(location): \(Self.describe(error))")
            }
        }
        return LedgerStoreError.unavailable(Self.describe(error))
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return "\(underlying)" }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}
