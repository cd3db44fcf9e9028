import Foundation
import GRDB
import LedgerStore

/// Subscriptions and the outbox (`Specs/26-subscriptions.md` §5; schema in `Specs/04-storage.md`). Every write
/// takes SQLite's write lock (an immediate transaction), the lock `append` holds, so the version an append reads
/// is the subscriptions it writes messages for, and claims by several processes never overlap.
extension SQLiteLedgerStore {
    static func subscriptionsVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT version FROM subscription_state WHERE id = 1") ?? 0
    }

    static func insertPending(_ db: Database, _ messages: [OutboxMessage], now: Int64) throws {
        guard !messages.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO outbox (subscription, seq, topic, created, due) VALUES (?, ?, ?, ?, ?)")
        for message in messages {
            try insert.execute(arguments: [message.subscription, message.seq, message.topic, now, now])
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    public func subscriptions() async throws -> (version: Int64, subscriptions: [StoredSubscription]) {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, subscriber, url, body, from_seq, created FROM subscriptions ORDER BY created, id")
            return (
                try Self.subscriptionsVersion(db),
                rows.map {
                    StoredSubscription(
                        id: $0[0], subscriber: $0[1], url: $0[2], body: [UInt8]($0[3] as Data), fromSeq: $0[4],
                        createdMillis: $0[5])
                }
            )
        }
    }

    public func subscription(id: String) async throws -> StoredSubscription? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, subscriber, url, body, from_seq, created FROM subscriptions WHERE id = ?",
                arguments: [id]
            ).map {
                StoredSubscription(
                    id: $0[0], subscriber: $0[1], url: $0[2], body: [UInt8]($0[3] as Data), fromSeq: $0[4],
                    createdMillis: $0[5])
            }
        }
    }

    public func addSubscription(_ subscription: StoredSubscription) async throws -> Int64 {
        try await write { db in
            guard
                try Int.fetchOne(db, sql: "SELECT 1 FROM subscriptions WHERE id = ?", arguments: [subscription.id])
                    == nil
            else { throw LedgerStoreError.alreadyExists("subscription \(subscription.id)") }
            let from = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM records") ?? 0
            try db.execute(
                sql:
                    "INSERT INTO subscriptions (id, subscriber, url, body, from_seq, created) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    subscription.id, subscription.subscriber, subscription.url, Data(subscription.body), from,
                    subscription.createdMillis,
                ])
            try db.execute(sql: "UPDATE subscription_state SET version = version + 1 WHERE id = 1")
            return from
        }
    }

    public func removeSubscription(id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM subscriptions WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM outbox WHERE subscription = ? AND state = 'pending'", arguments: [id])
            try db.execute(sql: "UPDATE subscription_state SET version = version + 1 WHERE id = 1")
            return true
        }
    }

    public func enqueue(_ messages: [OutboxMessage], now: Int64, again: Bool) async throws -> Int {
        try await write { db in
            let active = Set(try String.fetchAll(db, sql: "SELECT id FROM subscriptions"))
            let wanted = messages.filter { active.contains($0.subscription) }
            let insert = try db.cachedStatement(
                sql: again
                    ? """
                    INSERT INTO outbox (subscription, seq, topic, created, due) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (subscription, seq, topic) DO UPDATE SET state = 'pending', attempts = 0,
                        created = excluded.created, due = excluded.due, claimant = NULL, claimed_until = 0,
                        last_error = NULL
                    """
                    : "INSERT OR IGNORE INTO outbox (subscription, seq, topic, created, due) VALUES (?, ?, ?, ?, ?)")
            var count = 0
            for message in wanted {
                try insert.execute(arguments: [message.subscription, message.seq, message.topic, now, now])
                count += db.changesCount
            }
            return count
        }
    }

    public func claimDeliveries(
        limit: Int, now: Int64, lease: Int64, claimant: String
    ) async throws
        -> [ClaimedDelivery]
    {
        try await write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, subscription, seq, topic, attempts, created FROM outbox
                    WHERE state = 'pending' AND due <= ? AND claimed_until <= ? ORDER BY due, id LIMIT ?
                    """, arguments: [now, now, limit])
            let claim = try db.cachedStatement(sql: "UPDATE outbox SET claimant = ?, claimed_until = ? WHERE id = ?")
            return try rows.map { row in
                try claim.execute(arguments: [claimant, now + lease, row[0] as Int64])
                return ClaimedDelivery(
                    id: row[0], message: OutboxMessage(subscription: row[1], seq: row[2], topic: row[3]),
                    attempts: row[4], createdMillis: row[5])
            }
        }
    }

    public func settleDeliveries(
        _ settlements: [(id: Int64, outcome: DeliveryOutcome)], claimant: String, now: Int64
    ) async throws {
        guard !settlements.isEmpty else { return }
        try await write { db in
            let update = try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = ?, attempts = attempts + 1, due = COALESCE(?, due),
                        last_error = COALESCE(?, last_error), claimant = NULL, claimed_until = 0
                    WHERE id = ? AND claimant = ? AND state = 'pending'
                    """)
            for (id, outcome) in settlements {
                let (state, due, error) = outcome.written
                try update.execute(arguments: [state.rawValue, due, error, id, claimant])
            }
        }
    }

    public func deliveries(subscription: String?, limit: Int) async throws -> [StoredDelivery] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, subscription, seq, topic, state, attempts, created, due, last_error FROM outbox
                    WHERE ? IS NULL OR subscription = ? ORDER BY id LIMIT ?
                    """, arguments: [subscription, subscription, limit])
            return try rows.map { row in
                guard let state = DeliveryState(rawValue: row[4]) else {
                    throw LedgerStoreError.corrupt("outbox row \(row[0] as Int64) has an unknown state")
                }
                return StoredDelivery(
                    id: row[0], message: OutboxMessage(subscription: row[1], seq: row[2], topic: row[3]), state: state,
                    attempts: row[5], createdMillis: row[6], dueMillis: row[7], lastError: row[8])
            }
        }
    }

    public func namedQueries(owner: String) async throws -> [StoredQuery] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, body, created FROM queries WHERE owner = ? ORDER BY name", arguments: [owner]
            ).map { StoredQuery(owner: owner, name: $0[0], body: [UInt8]($0[1] as Data), createdMillis: $0[2]) }
        }
    }

    public func namedQuery(owner: String, name: String) async throws -> StoredQuery? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT body, created FROM queries WHERE owner = ? AND name = ?", arguments: [owner, name]
            ).map { StoredQuery(owner: owner, name: name, body: [UInt8]($0[0] as Data), createdMillis: $0[1]) }
        }
    }

    public func namedQueryCount(owner: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM queries WHERE owner = ?", arguments: [owner]) ?? 0
        }
    }

    public func addNamedQuery(_ query: StoredQuery) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO queries (owner, name, body, created) VALUES (?, ?, ?, ?)",
                arguments: [query.owner, query.name, Data(query.body), query.createdMillis])
            guard db.changesCount > 0 else {
                throw LedgerStoreError.alreadyExists("query \(query.name) of \(query.owner)")
            }
        }
    }

    public func removeNamedQuery(owner: String, name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM queries WHERE owner = ? AND name = ?", arguments: [owner, name])
            return db.changesCount > 0
        }
    }
}
