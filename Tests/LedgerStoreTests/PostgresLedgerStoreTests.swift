import Foundation
import LedgerStorePostgres
import PostgresNIO
import Testing
import ThreadlineTestSupport
import TransparencyLog

@testable import LedgerStore

// Statements the test sends by hand are built with `PostgresQuery(unsafeSQL:)`: they are fixed strings.

/// What only PostgreSQL has to show: the database itself refuses rewrites, the writer role cannot rewrite,
/// and a connection lost in the middle of an append leaves the whole batch or none of it.
@Suite(.enabled(if: TestPostgres.serverURL != nil, "needs THREADLINE_TEST_POSTGRES (always set in CI)"))
struct PostgresLedgerStoreTests {
    static let logger = Logger(label: "test")

    static func ledger(entries: Int) async throws -> (PostgresLedgerStore, String) {
        let url = try await TestPostgres.freshDatabase()
        let store = try await PostgresLedgerStore.create(url: url, metadata: StoreKind.metadata)
        _ = try await appendEntries(StoreConformanceTests.entries(0..<entries), to: store)
        try await store.addCheckpoint(size: Int64(entries), note: "note")
        return (store, url)
    }

    @Test func theDatabaseRefusesRewrites() async throws {
        let (store, url) = try await Self.ledger(entries: 5)
        try await TestPostgres.withConnection(to: url) { connection in
            for sql in [
                "UPDATE records SET bytes = '\\x00' WHERE seq = 1", "DELETE FROM records WHERE seq = 4",
                "TRUNCATE records",
                "UPDATE hashes SET hash = hash WHERE idx = 0", "DELETE FROM hashes", "TRUNCATE hashes CASCADE",
                "UPDATE checkpoints SET note = 'x'", "DELETE FROM checkpoints", "UPDATE meta SET value = 'x'",
                "DELETE FROM meta", "DELETE FROM head", "UPDATE head SET size = 2 WHERE id = 1",
                "INSERT INTO records (seq, bytes) VALUES (3, '\\x00')",
                "INSERT INTO checkpoints (size, note) VALUES (2, 'old')",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
                }
            }
        }
        #expect(try await store.records(0..<5) == StoreConformanceTests.entries(0..<5))
        #expect(try await store.size() == 5)
    }

    @Test func theWriterRoleAppendsButCannotRewrite() async throws {
        let (_, url) = try await Self.ledger(entries: 3)
        let role = "writer_" + UUID().uuidString.prefix(8).lowercased()
        try await TestPostgres.withConnection(to: url) { owner in
            for sql in PostgresLedgerStore.writerRoleSQL(role: role, password: "pw") {
                try await owner.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
            }
        }
        var components = URLComponents(string: url)!
        components.user = role
        components.password = "pw"
        let store = try await PostgresLedgerStore.open(url: components.string!)
        _ = try await appendEntries(StoreConformanceTests.entries(3..<9), to: store)
        try await store.addCheckpoint(size: 9, note: "nine")
        #expect(try await store.size() == 9)
        try await TestPostgres.withConnection(to: url, user: role, password: "pw") { writer in
            for sql in [
                "DROP TRIGGER records_append_only ON records", "ALTER TABLE records DISABLE TRIGGER ALL",
                "DELETE FROM records", "UPDATE head SET id = 2",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") {
                    try await writer.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
                }
            }
        }
    }

    @Test func aConnectionLostMidAppendLeavesNoneOfTheBatch() async throws {
        let (store, url) = try await Self.ledger(entries: 4)
        // Hold the head row so the append waits inside its transaction, then kill the append's backend.
        let appending = try await TestPostgres.withConnection(to: url) { holder in
            try await holder.query("BEGIN", logger: Self.logger)
            try await holder.query("SELECT size FROM head WHERE id = 1 FOR UPDATE", logger: Self.logger)
            let appending = Task { try await appendEntries(StoreConformanceTests.entries(100..<110), to: store) }
            let killed = try await TestPostgres.withConnection(to: url) { killer in
                var killed = 0
                for _ in 0..<100 where killed == 0 {
                    try await Task.sleep(for: .milliseconds(50))
                    let rows = try await killer.query(
                        """
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                        """, logger: Self.logger)
                    for try await terminated in rows.decode(Bool.self) where terminated { killed += 1 }
                }
                return killed
            }
            #expect(killed == 1)
            try await holder.query("ROLLBACK", logger: Self.logger)
            return appending
        }
        let outcome = await appending.result
        guard case .failure(let error) = outcome else {
            Issue.record("the append survived its connection being killed")
            return
        }
        #expect(error is LedgerStoreError, "\(error)")
        #expect(try await store.size() == 4)
        #expect(try await store.records(0..<4) == StoreConformanceTests.entries(0..<4))
        // The store recovers: the next append goes through on a new connection.
        let head = try await appendEntries(StoreConformanceTests.entries(4..<6), to: store)
        #expect(head.size == 6)
    }

    @Test func aConnectionLostAtCommitIsReadBackAndTheCallerTold() async throws {
        let (_, url) = try await Self.ledger(entries: 4)
        // Kill the append's own backend after its inserts, just before COMMIT: the server discards the
        // transaction, the COMMIT fails, and the store must find out from the log that nothing landed.
        let faults = PostgresLedgerStore.Faults { pid in
            try await TestPostgres.withConnection(to: url) { killer in
                _ = try await killer.query("SELECT pg_terminate_backend(\(pid))", logger: Self.logger)
            }
        }
        let faulty = try await PostgresLedgerStore.open(url: url, faults: faults)
        do {
            _ = try await appendEntries(StoreConformanceTests.entries(50..<60), to: faulty)
            Issue.record("an append whose COMMIT failed reported success")
        } catch LedgerStoreError.unavailable(let why) {
            #expect(why.contains("was not appended"), "\(why)")
        }
        let store = try await PostgresLedgerStore.open(url: url)
        #expect(try await store.size() == 4)
        #expect(try await store.hashes(in: 0..<StoredHashes.count(size: 4)).count == Int(StoredHashes.count(size: 4)))
        #expect(try await appendEntries(StoreConformanceTests.entries(4..<6), to: store).size == 6)
    }

    @Test func badLocationsFailAtOnceWithTheServersReason() async throws {
        let url = try #require(TestPostgres.serverURL)
        var wrongPassword = URLComponents(string: url)!
        wrongPassword.password = "not-the-password"
        await #expect(throws: LedgerStoreError.self) { try await PostgresLedgerStore.open(url: wrongPassword.string!) }
        do {
            _ = try await PostgresLedgerStore.open(url: wrongPassword.string!)
        } catch LedgerStoreError.unavailable(let why) {
            #expect(why.contains("password authentication failed"))
            #expect(!why.contains("not-the-password"))
        }
        let empty = try await TestPostgres.freshDatabase()
        await #expect(throws: LedgerStoreError.notFound(URLComponents(string: empty)!.redacted)) {
            try await PostgresLedgerStore.open(url: empty)
        }
        _ = try await PostgresLedgerStore.create(url: empty, metadata: StoreKind.metadata)
        await #expect(throws: LedgerStoreError.self) {
            try await PostgresLedgerStore.create(url: empty, metadata: StoreKind.metadata)
        }
        await #expect(throws: LedgerStoreError.self) { try await PostgresLedgerStore.open(url: "postgres://nouser/db") }
    }
}

extension URLComponents {
    /// As the store names a location in messages: no password.
    var redacted: String { "postgres://\(user!)@\(host!):\(port ?? 5432)\(path)" }
}
