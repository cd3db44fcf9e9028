import Foundation
import LedgerStore
import Logging
import PostgresNIO

/// Subscriptions and the outbox (`Specs/26-subscriptions.md` §5, `Specs/06-postgres.md` §1). Adding or removing a
/// subscription locks the head row, as `append` does, so the version an append reads is the subscriptions it writes
/// messages for. Claims lock outbox rows with `FOR UPDATE SKIP LOCKED`: several servers on one ledger each take
/// different messages, and none waits on another's.
extension PostgresLedgerStore {
    static func subscriptionsVersion(on connection: LiveConnection, _ logger: Logger) async throws -> Int64 {
        for try await version in try await connection.query(
            "SELECT version FROM subscription_state WHERE id = 1", logger: logger
        ).decode(Int64.self) {
            return version
        }
        throw LedgerStoreError.corrupt("the subscription_state row is missing")
    }

    static func insertPending(
        _ messages: [OutboxMessage], now: Int64, on connection: LiveConnection, _ logger: Logger
    ) async throws {
        guard !messages.isEmpty else { return }
        let (subscriptions, seqs, topics) = (messages.map(\.subscription), messages.map(\.seq), messages.map(\.topic))
        try await connection.query(
            """
            INSERT INTO outbox (subscription, seq, topic, created, due)
            SELECT s, q, t, \(now), \(now) FROM UNNEST(\(subscriptions)::TEXT[], \(seqs)::BIGINT[], \(topics)::TEXT[])
                AS m(s, q, t)
            ON CONFLICT (subscription, seq, topic) DO NOTHING
            """, logger: logger)
    }

    public func subscriptions() async throws -> (version: Int64, subscriptions: [StoredSubscription]) {
        try await reading {
            try await self.pool.withConnection { connection in
                let version = try await Self.subscriptionsVersion(on: connection, self.logger)
                var out: [StoredSubscription] = []
                for try await row in try await connection.query(
                    "SELECT id, subscriber, url, body, from_seq, created FROM subscriptions ORDER BY created, id",
                    logger: self.logger
                ).decode(SubscriptionRow.self) {
                    out.append(Self.subscription(row))
                }
                return (version, out)
            }
        }
    }

    public func subscription(id: String) async throws -> StoredSubscription? {
        try await reading {
            try await self.pool.withConnection { connection in
                for try await row in try await connection.query(
                    "SELECT id, subscriber, url, body, from_seq, created FROM subscriptions WHERE id = \(id)",
                    logger: self.logger
                ).decode(SubscriptionRow.self) {
                    return Self.subscription(row)
                }
                return nil
            }
        }
    }

    typealias SubscriptionRow = (String, String, String, ByteBuffer, Int64, Int64)

    static func subscription(_ row: SubscriptionRow) -> StoredSubscription {
        StoredSubscription(
            id: row.0, subscriber: row.1, url: row.2, body: Array(buffer: row.3), fromSeq: row.4, createdMillis: row.5)
    }

    public func addSubscription(_ subscription: StoredSubscription) async throws -> Int64 {
        try await guarded {
            try await transaction { connection in
                let size = try await Self.lockHead(on: connection, self.logger)
                for try await _ in try await connection.query(
                    "SELECT 1 FROM subscriptions WHERE id = \(subscription.id)", logger: self.logger
                ).decode(Int32.self) {
                    throw LedgerStoreError.alreadyExists("subscription \(subscription.id)")
                }
                try await connection.query(
                    """
                    INSERT INTO subscriptions (id, subscriber, url, body, from_seq, created)
                    VALUES (\(subscription.id), \(subscription.subscriber), \(subscription.url),
                            \(ByteBuffer(bytes: subscription.body)), \(size), \(subscription.createdMillis))
                    """, logger: self.logger)
                try await connection.query(
                    "UPDATE subscription_state SET version = version + 1 WHERE id = 1", logger: self.logger)
                return size
            }
        }
    }

    public func removeSubscription(id: String) async throws -> Bool {
        try await guarded {
            try await transaction { connection in
                _ = try await Self.lockHead(on: connection, self.logger)
                var removed = false
                for try await _ in try await connection.query(
                    "DELETE FROM subscriptions WHERE id = \(id) RETURNING id", logger: self.logger
                ).decode(String.self) {
                    removed = true
                }
                guard removed else { return false }
                try await connection.query(
                    "DELETE FROM outbox WHERE subscription = \(id) AND state = 'pending'", logger: self.logger)
                try await connection.query(
                    "UPDATE subscription_state SET version = version + 1 WHERE id = 1", logger: self.logger)
                return true
            }
        }
    }

    public func enqueue(_ messages: [OutboxMessage], now: Int64, again: Bool) async throws -> Int {
        guard !messages.isEmpty else { return 0 }
        return try await guarded {
            try await transaction { connection in
                let (subscriptions, seqs, topics) = (
                    messages.map(\.subscription), messages.map(\.seq), messages.map(\.topic)
                )
                let conflict: PostgresQuery =
                    again
                    ? """
                    ON CONFLICT (subscription, seq, topic) DO UPDATE SET state = 'pending', attempts = 0,
                        created = EXCLUDED.created, due = EXCLUDED.due, claimant = NULL, claimed_until = 0,
                        last_error = NULL
                    """
                    : "ON CONFLICT (subscription, seq, topic) DO NOTHING"
                var query: PostgresQuery = """
                    INSERT INTO outbox (subscription, seq, topic, created, due)
                    SELECT DISTINCT m.s, m.q, m.t, \(now)::BIGINT, \(now)::BIGINT
                    FROM UNNEST(\(subscriptions)::TEXT[], \(seqs)::BIGINT[], \(topics)::TEXT[]) AS m(s, q, t)
                    JOIN subscriptions ON subscriptions.id = m.s

                    """
                query.sql += conflict.sql + " RETURNING id"
                var count = 0
                for try await _ in try await connection.query(query, logger: self.logger).decode(Int64.self) {
                    count += 1
                }
                return count
            }
        }
    }

    public func claimDeliveries(
        limit: Int, now: Int64, lease: Int64, claimant: String
    ) async throws
        -> [ClaimedDelivery]
    {
        try await guarded {
            try await transaction { connection in
                var out: [ClaimedDelivery] = []
                for try await (id, subscription, seq, topic, attempts, created) in try await connection.query(
                    """
                    UPDATE outbox SET claimant = \(claimant), claimed_until = \(now + lease)
                    WHERE id IN (SELECT id FROM outbox
                                 WHERE state = 'pending' AND due <= \(now) AND claimed_until <= \(now)
                                 ORDER BY due, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING id, subscription, seq, topic, attempts, created
                    """, logger: self.logger
                ).decode((Int64, String, Int64, String, Int32, Int64).self) {
                    out.append(
                        ClaimedDelivery(
                            id: id, message: OutboxMessage(subscription: subscription, seq: seq, topic: topic),
                            attempts: Int(attempts), createdMillis: created))
                }
                return out.sorted { $0.id < $1.id }
            }
        }
    }

    public func settleDeliveries(
        _ settlements: [(id: Int64, outcome: DeliveryOutcome)], claimant: String, now: Int64
    ) async throws {
        guard !settlements.isEmpty else { return }
        // One statement: the settlements as parallel arrays, joined to the outbox by id (a due of -1, and an error
        // not `kept`, leave the row's own: times are never negative).
        let written = settlements.map(\.outcome.written)
        let (ids, states) = (settlements.map(\.id), written.map(\.state.rawValue))
        let (dues, errors, kept) = (
            written.map { $0.due ?? -1 }, written.map { $0.error ?? "" }, written.map { $0.error != nil }
        )
        try await guarded {
            try await transaction { connection in
                try await connection.query(
                    """
                    UPDATE outbox SET state = s.state, attempts = attempts + 1,
                        due = COALESCE(NULLIF(s.due, -1), outbox.due),
                        last_error = CASE WHEN s.kept THEN s.error ELSE last_error END, claimant = NULL, claimed_until = 0
                    FROM UNNEST(\(ids)::BIGINT[], \(states)::TEXT[], \(dues)::BIGINT[], \(errors)::TEXT[], \(kept)::BOOLEAN[])
                        AS s(id, state, due, error, kept)
                    WHERE outbox.id = s.id AND claimant = \(claimant) AND outbox.state = 'pending'
                    """, logger: self.logger)
            }
        }
    }

    public func deliveries(subscription: String?, limit: Int) async throws -> [StoredDelivery] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [StoredDelivery] = []
                for try await (id, sub, seq, topic, state, attempts, created, due, lastError)
                    in try await connection
                    .query(
                        """
                        SELECT id, subscription, seq, topic, state, attempts, created, due, last_error FROM outbox
                        WHERE \(subscription)::TEXT IS NULL OR subscription = \(subscription) ORDER BY id
                        LIMIT \(limit)
                        """, logger: self.logger
                    ).decode((Int64, String, Int64, String, String, Int32, Int64, Int64, String?).self)
                {
                    guard let state = DeliveryState(rawValue: state) else {
                        throw LedgerStoreError.corrupt("outbox row \(id) has an unknown state")
                    }
                    out.append(
                        StoredDelivery(
                            id: id, message: OutboxMessage(subscription: sub, seq: seq, topic: topic), state: state,
                            attempts: Int(attempts), createdMillis: created, dueMillis: due, lastError: lastError))
                }
                return out
            }
        }
    }

    public func namedQueries(owner: String) async throws -> [StoredQuery] {
        try await reading {
            try await self.pool.withConnection { connection in
                var out: [StoredQuery] = []
                for try await (name, body, created) in try await connection.query(
                    "SELECT name, body, created FROM queries WHERE owner = \(owner) ORDER BY name", logger: self.logger
                ).decode((String, ByteBuffer, Int64).self) {
                    out.append(StoredQuery(owner: owner, name: name, body: Array(buffer: body), createdMillis: created))
                }
                return out
            }
        }
    }

    public func namedQuery(owner: String, name: String) async throws -> StoredQuery? {
        try await reading {
            try await self.pool.withConnection { connection in
                for try await (body, created) in try await connection.query(
                    "SELECT body, created FROM queries WHERE owner = \(owner) AND name = \(name)", logger: self.logger
                ).decode((ByteBuffer, Int64).self) {
                    return StoredQuery(owner: owner, name: name, body: Array(buffer: body), createdMillis: created)
                }
                return nil
            }
        }
    }

    public func namedQueryCount(owner: String) async throws -> Int {
        try await reading {
            try await self.pool.withConnection { connection in
                for try await count in try await connection.query(
                    "SELECT COUNT(*) FROM queries WHERE owner = \(owner)", logger: self.logger
                ).decode(Int64.self) {
                    return Int(count)
                }
                return 0
            }
        }
    }

    public func addNamedQuery(_ query: StoredQuery) async throws {
        try await guarded {
            try await transaction { connection in
                var added = false
                for try await _ in try await connection.query(
                    """
                    INSERT INTO queries (owner, name, body, created)
                    VALUES (\(query.owner), \(query.name), \(ByteBuffer(bytes: query.body)), \(query.createdMillis))
                    ON CONFLICT DO NOTHING RETURNING name
                    """, logger: self.logger
                ).decode(String.self) {
                    added = true
                }
                guard added else { throw LedgerStoreError.alreadyExists("query \(query.name) of \(query.owner)") }
            }
        }
    }

    public func removeNamedQuery(owner: String, name: String) async throws -> Bool {
        try await guarded {
            try await transaction { connection in
                var removed = false
                for try await _ in try await connection.query(
                    "DELETE FROM queries WHERE owner = \(owner) AND name = \(name) RETURNING name", logger: self.logger
                ).decode(String.self) {
                    removed = true
                }
                return removed
            }
        }
    }
}
