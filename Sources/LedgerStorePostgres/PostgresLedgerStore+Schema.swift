import Foundation
import LedgerStore
import Logging
import PostgresNIO
import TransparencyLog

/// The schema and its migrations (`Specs/06-postgres.md` §1, §4).
extension PostgresLedgerStore {

    func hasLedger() async throws -> Bool {
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
        (
            // Sealed records' openings: beside the log, not append-only (an erasure rewrites one).
            "v5-openings",
            ["CREATE TABLE openings (seq BIGINT PRIMARY KEY REFERENCES records(seq), body BYTEA NOT NULL)"]
        ),
        (
            // Subscriptions and their outbox (Specs/26): beside the log, not append-only.
            "v6-outbox",
            [
                """
                CREATE TABLE subscriptions (id TEXT PRIMARY KEY, subscriber TEXT NOT NULL, url TEXT NOT NULL,
                                            body BYTEA NOT NULL, from_seq BIGINT NOT NULL, created BIGINT NOT NULL)
                """,
                "CREATE TABLE subscription_state (id INT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
                "INSERT INTO subscription_state (id, version) VALUES (1, 0)",
                """
                CREATE TABLE outbox (id BIGSERIAL PRIMARY KEY, subscription TEXT NOT NULL, seq BIGINT NOT NULL,
                                     topic TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
                                     attempts INT NOT NULL DEFAULT 0, created BIGINT NOT NULL, due BIGINT NOT NULL,
                                     claimant TEXT, claimed_until BIGINT NOT NULL DEFAULT 0, last_error TEXT,
                                     UNIQUE (subscription, seq, topic))
                """,
                "CREATE INDEX outbox_pending ON outbox (due, id) WHERE state = 'pending'",
            ]
        ),
        (
            // Named queries (Specs/26 §8): beside the log, not append-only.
            "v7-queries",
            [
                """
                CREATE TABLE queries (owner TEXT NOT NULL, name TEXT NOT NULL, body BYTEA NOT NULL,
                                      created BIGINT NOT NULL, PRIMARY KEY (owner, name))
                """
            ]
        ),
        (
            // An event's key became `event:<time>/<hash>`, and events no longer have `gtin:` keys (Specs/10 §3):
            // the index is emptied, and the engine rebuilds it from the log when it next opens the ledger.
            "v8-index-keys", ["DELETE FROM index_entries", "UPDATE index_state SET size = 0 WHERE id = 1"]
        ),
        (
            // Events no longer have the `events` key (Specs/10 §3): a query with no indexed condition reads the log.
            "v9-no-events-key", ["DELETE FROM index_entries WHERE key = 'events'"]
        ),
    ]

    /// Applies pending migrations. When there are none it only reads, so a role without DDL rights
    /// (`writerRoleSQL`) can open the ledger.
    func migrate() async throws {
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
            "GRANT SELECT, INSERT, UPDATE ON openings TO \(role)",
            "GRANT USAGE ON SEQUENCE cosignatures_position_seq TO \(role)",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON subscriptions, outbox TO \(role)",
            "GRANT SELECT, INSERT, DELETE ON queries TO \(role)",
            "GRANT SELECT, UPDATE (version) ON subscription_state TO \(role)",
            "GRANT USAGE ON SEQUENCE outbox_id_seq TO \(role)",
        ]
    }
}
