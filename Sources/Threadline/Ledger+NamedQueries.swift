import EPCIS
import Foundation
import LedgerStore

/// Named queries, as the EPCIS 2.0 REST binding keeps them (`Specs/26-subscriptions.md` §8): each participant's own,
/// run on demand and subscribed to.
extension Ledger {
    /// A named query as kept: the query and when it was made.
    public struct KeptQuery: Sendable, Equatable {
        public let query: NamedQuery
        public let createdMillis: Int64
    }

    /// Keeps `query` for `owner`: `query.exists` when it has one of that name, `query.definition` past
    /// `NamedQuery.maxPerOwner`.
    public nonisolated func defineQuery(_ query: NamedQuery, owner: String) async throws -> KeptQuery {
        guard try await store.namedQueryCount(owner: owner) < NamedQuery.maxPerOwner else {
            throw EngineError(.queryDefinition, "a participant keeps at most \(NamedQuery.maxPerOwner) named queries")
        }
        let kept = KeptQuery(query: query, createdMillis: clock())
        do {
            try await store.addNamedQuery(
                StoredQuery(
                    owner: owner, name: query.name, body: Array(query.json.serialized.utf8),
                    createdMillis: kept.createdMillis))
        } catch LedgerStoreError.alreadyExists {
            throw EngineError(.queryExists, "there is a query named '\(query.name)' already; delete it first")
        }
        return kept
    }

    /// The named queries of `owner`, by name.
    public nonisolated func namedQueries(of owner: String) async throws -> [KeptQuery] {
        try await store.namedQueries(owner: owner).map(Self.kept)
    }

    /// `owner`'s query `name`; `query.unknown` when there is none.
    public nonisolated func namedQuery(_ name: String, of owner: String) async throws -> KeptQuery {
        guard let stored = try await store.namedQuery(owner: owner, name: name) else {
            throw EngineError(.queryUnknown, "no query named '\(name)'")
        }
        return try Self.kept(stored)
    }

    static func kept(_ stored: StoredQuery) throws -> KeptQuery {
        guard let query = try? NamedQuery(json: stored.body) else {
            throw LedgerStoreError.corrupt("the query \(stored.name) of \(stored.owner) does not read")
        }
        return KeptQuery(query: query, createdMillis: stored.createdMillis)
    }

    /// The subscriptions of `owner` made on its query `name`, oldest first.
    public nonisolated func subscriptions(
        onQuery name: String, of owner: String
    ) async throws
        -> [StoredSubscription]
    {
        try await subscriptions(of: owner).filter { (try? Subscription(json: $0.body))?.queryName == name }
    }

    /// Subscribes `owner`'s webhook `url` to its query `name`: new events matching it are delivered as any event
    /// subscription's (§6).
    public func subscribe(url: String, toQuery name: String, owner: String) async throws -> StoredSubscription {
        let kept = try await namedQuery(name, of: owner)
        return try await subscribe(
            try Subscription(url: url, topic: .events(query: kept.query.parameters), queryName: name),
            subscriber: owner)
    }

    /// Deletes `owner`'s query `name` and ends the subscriptions made on it.
    public func dropQuery(_ name: String, owner: String) async throws {
        _ = try await namedQuery(name, of: owner)
        for subscription in try await subscriptions(onQuery: name, of: owner) {
            try? await unsubscribe(subscription.id, subscriber: owner)
        }
        guard try await store.removeNamedQuery(owner: owner, name: name) else {
            throw EngineError(.queryUnknown, "no query named '\(name)'")
        }
    }
}
