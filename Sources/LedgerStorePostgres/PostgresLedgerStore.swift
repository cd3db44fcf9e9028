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
    private let pool: ConnectionPool
    private let logger: Logger
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

    // MARK: Schema

    private func hasLedger() async throws -> Bool {
        try await pool.withConnection { connection in
            let rows = try await connection.query("SELECT to_regclass('meta') IS NOT NULL", logger: self.logger)
            for try await exists in rows.decode(Bool.self) { return exists }
            return false
        }
    }

    /// Named, ordered migrations; each runs once, in its own transaction.
    static let migrations: [(name: String, sql: [String])] = [
        (
            "v1-log",
            [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE head (id INT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL CHECK (size >= 0))",
                "INSERT INTO head (id, size) VALUES (1, 0)",
                "CREATE TABLE records (seq BIGINT PRIMARY KEY CHECK (seq >= 0), bytes BYTEA NOT NULL)",
                """
                CREATE TABLE hashes (idx BIGINT PRIMARY KEY CHECK (idx >= 0),
                                     hash BYTEA NOT NULL CHECK (length(hash) = 32))
                """,
                "CREATE TABLE checkpoints (size BIGINT PRIMARY KEY CHECK (size >= 0), note TEXT NOT NULL)",
                """
                CREATE FUNCTION threadline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'threadline: % is append-only', TG_TABLE_NAME; END $$
                """,
                """
                CREATE FUNCTION threadline_head_grows() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.size < OLD.size OR NEW.id <> OLD.id THEN
                        RAISE EXCEPTION 'threadline: the head only grows';
                    END IF;
                    RETURN NEW;
                END $$
                """,
                """
                CREATE FUNCTION threadline_checkpoints_grow() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.size <= (SELECT COALESCE(MAX(size), -1) FROM checkpoints) THEN
                        RAISE EXCEPTION 'threadline: a checkpoint must be newer than the latest';
                    END IF;
                    RETURN NEW;
                END $$
                """,
                """
                CREATE TRIGGER checkpoints_grow BEFORE INSERT ON checkpoints
                FOR EACH ROW EXECUTE FUNCTION threadline_checkpoints_grow()
                """,
                "CREATE TRIGGER head_grows BEFORE UPDATE ON head FOR EACH ROW EXECUTE FUNCTION threadline_head_grows()",
            ]
                + ["meta", "records", "hashes", "checkpoints", "head"].flatMap { table in
                    [
                        table == "head"
                            ? """
                            CREATE TRIGGER head_no_delete BEFORE DELETE ON head
                            FOR EACH ROW EXECUTE FUNCTION threadline_append_only()
                            """
                            : """
                            CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table)
                            FOR EACH ROW EXECUTE FUNCTION threadline_append_only()
                            """,
                        """
                        CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
                        FOR EACH STATEMENT EXECUTE FUNCTION threadline_append_only()
                        """,
                    ]
                }
        ),
        (
            "v2-index",
            [
                "CREATE TABLE index_entries (key TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (key, seq))",
                "CREATE TABLE index_state (id INT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL CHECK (size >= 0))",
                "INSERT INTO index_state (id, size) VALUES (1, 0)",
            ]
        ),
        (
            "v3-cosignatures",
            [
                """
                CREATE TABLE cosignatures (position BIGSERIAL, size BIGINT NOT NULL REFERENCES checkpoints(size),
                                           line TEXT NOT NULL, PRIMARY KEY (size, line))
                """,
                """
                CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE ON cosignatures
                FOR EACH ROW EXECUTE FUNCTION threadline_append_only()
                """,
                """
                CREATE TRIGGER cosignatures_no_truncate BEFORE TRUNCATE ON cosignatures
                FOR EACH STATEMENT EXECUTE FUNCTION threadline_append_only()
                """,
            ]
        ),
        (
            // The audit reads the index record by record; (seq, key) answers that read from the index alone.
            "v4-index-by-seq", ["CREATE INDEX IF NOT EXISTS index_entries_by_seq ON index_entries (seq, key)"]
        ),
    ]

    /// Applies pending migrations. When there are none it only reads, so a role without DDL rights
    /// (`writerRoleSQL`) can open the ledger.
    private func migrate() async throws {
        let applied: Set<String> = try await pool.withConnection { connection in
            var applied: Set<String> = []
            let exists = try await connection.query(
                "SELECT to_regclass('threadline_migrations') IS NOT NULL", logger: self.logger)
            for try await found in exists.decode(Bool.self) where found {
                for try await name in try await connection.query(
                    "SELECT name FROM threadline_migrations", logger: self.logger
                ).decode(String.self) {
                    applied.insert(name)
                }
            }
            return applied
        }
        guard Self.migrations.contains(where: { !applied.contains($0.name) }) else { return }
        _ = try await pool.withConnection { connection in
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS threadline_migrations
                    (name TEXT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: self.logger)
        }
        for migration in Self.migrations {
            try await transaction { connection in
                try await connection.query("LOCK TABLE threadline_migrations IN EXCLUSIVE MODE", logger: self.logger)
                let done = try await connection.query(
                    "SELECT count(*) FROM threadline_migrations WHERE name = \(migration.name)", logger: self.logger)
                for try await count in done.decode(Int64.self) where count > 0 { return }
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query(
                    "INSERT INTO threadline_migrations (name) VALUES (\(migration.name))", logger: self.logger)
            }
        }
    }

    /// SQL that creates `role`, a login that can append to and read the ledger in the current database but
    /// never rewrite it: SELECT and INSERT on the log tables, and UPDATE of the one `head` row (whose trigger
    /// lets it only grow). Run it as the ledger's owner. `Specs/06-postgres.md` §Roles.
    public static func writerRoleSQL(role: String, password: String) -> [String] {
        [
            "CREATE ROLE \(role) LOGIN PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'",
            "GRANT SELECT, INSERT ON meta, records, hashes, checkpoints, threadline_migrations TO \(role)",
            "GRANT SELECT, UPDATE (size) ON head TO \(role)",
            "GRANT SELECT, INSERT, DELETE ON index_entries TO \(role)",
            "GRANT SELECT, UPDATE (size) ON index_state TO \(role)",
            "GRANT SELECT, INSERT ON cosignatures TO \(role)",
            "GRANT USAGE ON SEQUENCE cosignatures_position_seq TO \(role)",
        ]
    }

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
            let head = try LedgerHead(
                size: size, hashes: try await Self.hashes(on: connection, at: LedgerHead.indices(size: size), logger))
            do { batch = try build(head) } catch { throw CallerError(error: error) }
            try batch.check(extending: head)
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
            if try await Self.indexedSize(on: connection, logger) == size {
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
    private func transaction<T: Sendable>(_ body: (LiveConnection) async throws -> T) async throws -> T {
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
    private func guarded<T>(retryingReads: Bool = false, _ body: () async throws -> T) async throws -> T {
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
    private func reading<T>(_ body: () async throws -> T) async throws -> T {
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

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]` location.
struct PostgresURL {
    let user: String
    let password: String?
    let host: String
    let port: Int
    let database: String
    let requireTLS: Bool

    init(_ text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql",
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw LedgerStoreError.notALedger(
                "'\(text)' (a PostgreSQL ledger is postgres://user[:password]@host[:port]/database)")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw LedgerStoreError.notALedger("'\(text)' names no database (postgres://user@host/database)")
        }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require"].contains(mode) else {
            throw LedgerStoreError.notALedger("'\(text)': sslmode must be disable or require")
        }
        self.user = user.removingPercentEncoding ?? user
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host
        self.port = url.port ?? 5432
        self.database = database
        self.requireTLS = mode == "require"
    }

    /// The connection settings: a 10 s connect timeout, TLS only with `sslmode=require`.
    var configuration: PostgresConnection.Configuration {
        get throws {
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: requireTLS ? .require(try .init(configuration: .makeClientConfiguration())) : .disable)
            configuration.options.connectTimeout = .seconds(10)
            return configuration
        }
    }

    /// The location without the password, for messages.
    var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

}

extension PostgresLedgerStore {
    // MARK: The derived index

    /// Locks the head row for the rest of the transaction (ordering the caller with appends) and reads the size.
    static func lockHead(on connection: LiveConnection, _ logger: Logger) async throws -> Int64 {
        for try await size in try await connection.query(
            "SELECT size FROM head WHERE id = 1 FOR UPDATE", logger: logger
        )
        .decode(Int64.self) {
            return size
        }
        throw LedgerStoreError.corrupt("the head row is missing")
    }

    private static func indexedSize(on connection: LiveConnection, _ logger: Logger) async throws -> Int64 {
        for try await size in try await connection.query("SELECT size FROM index_state WHERE id = 1", logger: logger)
            .decode(Int64.self)
        {
            return size
        }
        throw LedgerStoreError.corrupt("the index_state row is missing")
    }

    private static func insert(_ entries: [IndexEntry], on connection: LiveConnection, _ logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        let keys = entries.map(\.key)
        let seqs = entries.map(\.seq)
        try await connection.query(
            "INSERT INTO index_entries (key, seq) SELECT * FROM UNNEST(\(keys)::TEXT[], \(seqs)::BIGINT[]) ON CONFLICT DO NOTHING",
            logger: logger)
    }

    public func cosignatures(size: Int64) async throws -> [String] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [String] = []
                for try await line in try await connection.query(
                    "SELECT line FROM cosignatures WHERE size = \(size) ORDER BY position", logger: self.logger
                ).decode(String.self) {
                    out.append(line)
                }
                return out
            }
        }
    }

    public func addCosignatures(size: Int64, lines: [String]) async throws {
        try await guarded {
            try await transaction { connection in
                var found = false
                for try await _ in try await connection.query(
                    "SELECT size FROM checkpoints WHERE size = \(size)", logger: self.logger
                ).decode(Int64.self) {
                    found = true
                }
                guard found else { throw LedgerStoreError.outOfRange("no checkpoint of size \(size) is stored") }
                for line in lines {
                    try await connection.query(
                        "INSERT INTO cosignatures (size, line) VALUES (\(size), \(line)) ON CONFLICT DO NOTHING",
                        logger: self.logger)
                }
            }
        }
    }

    public func indexedSize() async throws -> Int64 {
        try await reading {
            try await self.pool.withConnection { try await Self.indexedSize(on: $0, self.logger) }
        }
    }

    public func lookup(_ keys: [String], from: Int64) async throws -> [IndexEntry] {
        guard !keys.isEmpty else { return [] }
        return try await reading {
            try await self.pool.withConnection { connection in
                var out: [IndexEntry] = []
                let rows = try await connection.query(
                    "SELECT key, seq FROM index_entries WHERE key = ANY(\(keys)::TEXT[]) AND seq >= \(from) ORDER BY key, seq",
                    logger: self.logger)
                for try await (key, seq) in rows.decode((String, Int64).self) {
                    out.append(IndexEntry(key: key, seq: seq))
                }
                return out
            }
        }
    }

    public func indexEntries(in range: Range<Int64>) async throws -> [IndexEntry] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [IndexEntry] = []
                let rows = try await connection.query(
                    "SELECT key, seq FROM index_entries WHERE seq >= \(range.lowerBound) AND seq < \(range.upperBound) ORDER BY seq, key",
                    logger: self.logger)
                for try await (key, seq) in rows.decode((String, Int64).self) {
                    out.append(IndexEntry(key: key, seq: seq))
                }
                return out
            }
        }
    }

    public func addIndex(_ entries: [IndexEntry], from: Int64, to: Int64) async throws {
        try await guarded {
            try await transaction { connection in
                let logSize = try await Self.lockHead(on: connection, self.logger)
                let indexed = try await Self.indexedSize(on: connection, self.logger)
                guard indexed == from, from <= to, to <= logSize, entries.allSatisfy({ (from..<to).contains($0.seq) })
                else {
                    throw LedgerStoreError.outOfRange(
                        "index entries for records \(from)..<\(to) do not continue the index (it covers \(indexed))")
                }
                try await Self.insert(entries, on: connection, self.logger)
                try await connection.query("UPDATE index_state SET size = \(to) WHERE id = 1", logger: self.logger)
            }
        }
    }

    public func resetIndex() async throws {
        try await guarded {
            try await transaction { connection in
                _ = try await Self.lockHead(on: connection, self.logger)
                try await connection.query("DELETE FROM index_entries", logger: self.logger)
                try await connection.query("UPDATE index_state SET size = 0 WHERE id = 1", logger: self.logger)
            }
        }
    }
}
