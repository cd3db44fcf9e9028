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
                for try await (id, subscriber, url, body, from, created) in try await connection.query(
                    "SELECT id, subscriber, url, body, from_seq, created FROM subscriptions ORDER BY created, id",
                    logger: self.logger
                ).decode((String, String, String, ByteBuffer, Int64, Int64).self) {
                    out.append(
                        StoredSubscription(
                            id: id, subscriber: subscriber, url: url, body: Array(buffer: body), fromSeq: from,
                            createdMillis: created))
                }
                return (version, out)
            }
        }
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

    public func settleDelivery(id: Int64, claimant: String, outcome: DeliveryOutcome, now: Int64) async throws {
        let (state, due, error): (String, Int64?, String?) =
            switch outcome {
            case .delivered: ("delivered", nil, nil)
            case .retry(let at, let error): ("pending", at, error)
            case .dead(let error): ("dead", nil, error)
            }
        try await guarded {
            try await transaction { connection in
                try await connection.query(
                    """
                    UPDATE outbox SET state = \(state), attempts = attempts + 1, due = COALESCE(\(due), due),
                        last_error = COALESCE(\(error), last_error), claimant = NULL, claimed_until = 0
                    WHERE id = \(id) AND claimant = \(claimant) AND state = 'pending'
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
}
