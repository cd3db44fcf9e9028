/// Subscriptions and the outbox of their deliveries (`Specs/26-subscriptions.md` §5), kept beside the log in the
/// ledger's store. A subscription is what a participant asked to be told; an outbox message is one thing to tell it,
/// written in the same transaction as the record that causes it, and delivered at least once.
public protocol OutboxStore: Sendable {
    /// Every active subscription, and the subscriptions' version: a number that changes whenever one is added or
    /// removed. `append` reads the version under its lock into `LedgerHead.subscriptions`, so an engine whose
    /// matcher is older than the store's subscriptions learns it before it commits.
    func subscriptions() async throws -> (version: Int64, subscriptions: [StoredSubscription])

    /// The active subscription `id`, if there is one: one row, for a delivery of its message.
    func subscription(id: String) async throws -> StoredSubscription?

    /// Adds `subscription` under the append lock, from the log's size then (the first record it can be told of),
    /// which is returned; the version changes. `alreadyExists` for a taken id.
    func addSubscription(_ subscription: StoredSubscription) async throws -> Int64

    /// Removes the subscription `id` and its undelivered messages (delivered and dead ones stay, for the record);
    /// the version changes. False when there is none.
    func removeSubscription(id: String) async throws -> Bool

    /// Puts `messages` (for active subscriptions) in the outbox as pending, due now. With `again`, a message already
    /// there is made pending again with its attempts reset (a replay), and the answer is how many are pending for
    /// it; without, a message already there is left as it is, and the answer is how many were new.
    func enqueue(_ messages: [OutboxMessage], now: Int64, again: Bool) async throws -> Int

    /// Claims up to `limit` pending messages due at `now` that no live claim holds, oldest first, for `claimant`
    /// until `now + lease` (milliseconds): until then no other claimant gets them; a claimant that dies lets its
    /// claims lapse, and they are claimed again.
    func claimDeliveries(limit: Int, now: Int64, lease: Int64, claimant: String) async throws -> [ClaimedDelivery]

    /// Settles claimed messages, in one transaction: each delivered, retried at `retryAt` (milliseconds) with
    /// `error` kept, or dead (a dead letter, kept with its error). A message whose claim is no longer `claimant`'s
    /// (it lapsed and another took it) is left alone, so that a late answer never settles another's attempt.
    func settleDeliveries(
        _ settlements: [(id: Int64, outcome: DeliveryOutcome)], claimant: String, now: Int64)
        async throws

    /// The outbox's messages for `subscription` (every subscription when nil) in the order they were written, at
    /// most `limit`.
    func deliveries(subscription: String?, limit: Int) async throws -> [StoredDelivery]

    /// The named queries of `owner` (the EPCIS 2.0 REST binding's `/queries`, 26 §8), by name.
    func namedQueries(owner: String) async throws -> [StoredQuery]

    /// `owner`'s query `name`, if it has one.
    func namedQuery(owner: String, name: String) async throws -> StoredQuery?

    /// How many named queries `owner` keeps.
    func namedQueryCount(owner: String) async throws -> Int

    /// Adds a named query; `alreadyExists` when its owner has one of that name.
    func addNamedQuery(_ query: StoredQuery) async throws

    /// Removes `owner`'s query `name`; false when there is none.
    func removeNamedQuery(owner: String, name: String) async throws -> Bool
}

/// A named query as the store keeps it: its owner's, under a name unique to the owner. The store does not read
/// `body` (the query's JSON form): the engine does.
public struct StoredQuery: Sendable, Equatable {
    public let owner: String
    public let name: String
    public let body: [UInt8]
    public let createdMillis: Int64

    public init(owner: String, name: String, body: [UInt8], createdMillis: Int64) {
        self.owner = owner
        self.name = name
        self.body = body
        self.createdMillis = createdMillis
    }
}

extension OutboxStore {
    /// Settles one claimed message (`settleDeliveries`).
    public func settleDelivery(id: Int64, claimant: String, outcome: DeliveryOutcome, now: Int64) async throws {
        try await settleDeliveries([(id, outcome)], claimant: claimant, now: now)
    }
}

/// A subscription as the store keeps it. The store does not read `body`: the engine does.
public struct StoredSubscription: Sendable, Equatable {
    /// Its id: 32 lowercase hex digits, chosen at random by the engine.
    public let id: String
    /// Who subscribed: a participant id, or `operator`.
    public let subscriber: String
    /// The webhook URL deliveries are posted to.
    public let url: String
    /// What it asks for, as JSON (`Specs/26-subscriptions.md` §2).
    public let body: [UInt8]
    /// The first record it can be told of: the log's size when it was added (0 until it is).
    public let fromSeq: Int64
    /// When it was added, milliseconds since the epoch.
    public let createdMillis: Int64

    public init(id: String, subscriber: String, url: String, body: [UInt8], fromSeq: Int64 = 0, createdMillis: Int64) {
        self.id = id
        self.subscriber = subscriber
        self.url = url
        self.body = body
        self.fromSeq = fromSeq
        self.createdMillis = createdMillis
    }
}

/// One thing to tell one subscription: the record that causes it and what it is (`event`, or `alert:<kind>`).
/// The triple is the message's identity: written twice, it is one message.
public struct OutboxMessage: Sendable, Hashable {
    public let subscription: String
    public let seq: Int64
    public let topic: String

    public init(subscription: String, seq: Int64, topic: String) {
        self.subscription = subscription
        self.seq = seq
        self.topic = topic
    }
}

/// A message claimed for delivery.
public struct ClaimedDelivery: Sendable, Equatable {
    /// The outbox row.
    public let id: Int64
    public let message: OutboxMessage
    /// Attempts made before this one.
    public let attempts: Int
    /// When the message was written (or last replayed), milliseconds.
    public let createdMillis: Int64

    public init(id: Int64, message: OutboxMessage, attempts: Int, createdMillis: Int64) {
        self.id = id
        self.message = message
        self.attempts = attempts
        self.createdMillis = createdMillis
    }
}

/// How a delivery attempt ended.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    case retry(at: Int64, error: String)
    case dead(error: String)

    /// The state, due time (nil: unchanged) and error (nil: unchanged) a settlement writes.
    public var written: (state: DeliveryState, due: Int64?, error: String?) {
        switch self {
        case .delivered: (.delivered, nil, nil)
        case .retry(let at, let error): (.pending, at, error)
        case .dead(let error): (.dead, nil, error)
        }
    }
}

/// Where a message stands.
public enum DeliveryState: String, Sendable, Codable {
    case pending, delivered, dead
}

/// An outbox message as stored.
public struct StoredDelivery: Sendable, Equatable {
    public let id: Int64
    public let message: OutboxMessage
    public let state: DeliveryState
    public let attempts: Int
    /// When the message was written or replayed, and when it is next due (pending), milliseconds.
    public let createdMillis: Int64
    public let dueMillis: Int64
    /// The last failed attempt's error.
    public let lastError: String?

    public init(
        id: Int64, message: OutboxMessage, state: DeliveryState, attempts: Int, createdMillis: Int64, dueMillis: Int64,
        lastError: String?
    ) {
        self.id = id
        self.message = message
        self.state = state
        self.attempts = attempts
        self.createdMillis = createdMillis
        self.dueMillis = dueMillis
        self.lastError = lastError
    }
}
