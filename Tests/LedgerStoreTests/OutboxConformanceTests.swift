import Foundation
import Testing
import TransparencyLog

@testable import LedgerStore

/// The outbox's contract (Specs/26-subscriptions.md §5), on every kind of store: messages written with the records
/// that cause them, claims that exclude each other and lapse, settlements only by the claimant, replays.
struct OutboxConformanceTests {
    static func subscription(_ id: String, subscriber: String = "shop") -> StoredSubscription {
        StoredSubscription(
            id: id, subscriber: subscriber, url: "http://127.0.0.1:9/hook", body: Array(#"{"url":"x"}"#.utf8),
            createdMillis: 1000)
    }

    /// Appends `count` entries with `messages` (seq offsets within the batch, topic) for `subscription`, built
    /// against the version the store reads under the lock.
    static func append(
        _ count: Int, to store: any LedgerStore, telling subscription: String, _ messages: [(Int, String)],
        expectVersion: Int64? = nil
    ) async throws -> LedgerHead {
        try await store.append { head in
            if let expectVersion, head.subscriptions != expectVersion { throw Stale() }
            var batch = AppendBatch(appending: (0..<count).map { Array("e\(head.size + Int64($0))".utf8) }, to: head)
            batch.outbox = messages.map {
                OutboxMessage(subscription: subscription, seq: head.size + Int64($0.0), topic: $0.1)
            }
            batch.outboxMillis = 5000
            return batch
        }
    }
    struct Stale: Error {}

    @Test(arguments: StoreKind.available)
    func subscriptionsHaveAVersionThatAppendsSee(kind: StoreKind) async throws {
        let store = try await kind.make()
        #expect(try await store.subscriptions().version == 0)
        _ = try await appendEntries(StoreConformanceTests.entries(0..<3), to: store)
        #expect(try await store.addSubscription(Self.subscription("a")) == 3)
        let (version, list) = try await store.subscriptions()
        #expect(version == 1 && list.map(\.id) == ["a"] && list[0].fromSeq == 3 && list[0].subscriber == "shop")
        #expect(try await store.subscription(id: "a") == list[0])
        #expect(try await store.subscription(id: "b") == nil)
        await #expect(throws: LedgerStoreError.self) { try await store.addSubscription(Self.subscription("a")) }
        // An append built against version 0 is refused by its own check; against 1, it goes through.
        await #expect(throws: Stale.self) {
            try await Self.append(1, to: store, telling: "a", [(0, "event")], expectVersion: 0)
        }
        #expect(try await store.size() == 3)
        _ = try await Self.append(2, to: store, telling: "a", [(0, "event"), (1, "alert:recalled")], expectVersion: 1)
        let pending = try await store.deliveries(subscription: "a", limit: 10)
        #expect(pending.map(\.message.seq) == [3, 4] && pending.allSatisfy { $0.state == .pending })
        #expect(pending.map(\.message.topic) == ["event", "alert:recalled"] && pending[0].createdMillis == 5000)
        #expect(try await store.removeSubscription(id: "a"))
        #expect(try await !store.removeSubscription(id: "a"))
        #expect(try await store.subscriptions().version == 2)
        #expect(try await store.subscription(id: "a") == nil)
        #expect(try await store.deliveries(subscription: "a", limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func namedQueriesAreEachOwnersOwnByName(kind: StoreKind) async throws {
        let store = try await kind.make()
        func query(_ owner: String, _ name: String) -> StoredQuery {
            StoredQuery(owner: owner, name: name, body: Array("{\"\(name)\":1}".utf8), createdMillis: 7)
        }
        try await store.addNamedQuery(query("shop", "b"))
        try await store.addNamedQuery(query("shop", "a"))
        try await store.addNamedQuery(query("brand", "a"))
        await #expect(throws: LedgerStoreError.self) { try await store.addNamedQuery(query("shop", "a")) }
        #expect(try await store.namedQueries(owner: "shop") == [query("shop", "a"), query("shop", "b")])
        #expect(try await store.namedQuery(owner: "shop", name: "b") == query("shop", "b"))
        #expect(try await store.namedQuery(owner: "brand", name: "b") == nil)
        #expect(try await store.namedQueryCount(owner: "shop") == 2)
        #expect(try await store.removeNamedQuery(owner: "shop", name: "a"))
        #expect(try await !store.removeNamedQuery(owner: "shop", name: "a"))
        #expect(try await store.namedQueries(owner: "shop").map(\.name) == ["b"])
        #expect(try await store.namedQueries(owner: "brand") == [query("brand", "a")])
        #expect(try await store.namedQueries(owner: "nobody").isEmpty)
        #expect(try await store.namedQueryCount(owner: "nobody") == 0)
    }

    @Test(arguments: StoreKind.available)
    func claimsExcludeEachOtherLapseAndSettleOnlyForTheirClaimant(kind: StoreKind) async throws {
        let store = try await kind.make()
        _ = try await store.addSubscription(Self.subscription("a"))
        _ = try await Self.append(3, to: store, telling: "a", [(0, "event"), (1, "event"), (2, "event")])
        let first = try await store.claimDeliveries(limit: 2, now: 6000, lease: 1000, claimant: "one")
        #expect(first.map(\.message.seq) == [0, 1] && first.allSatisfy { $0.attempts == 0 })
        // Another claimant gets only what is left; nothing is due before it was written.
        #expect(try await store.claimDeliveries(limit: 10, now: 4000, lease: 1000, claimant: "two").isEmpty)
        let second = try await store.claimDeliveries(limit: 10, now: 6500, lease: 1000, claimant: "two")
        #expect(second.map(\.message.seq) == [2])
        // A settlement by someone else is ignored.
        try await store.settleDelivery(id: first[0].id, claimant: "two", outcome: .delivered, now: 6600)
        try await store.settleDelivery(id: first[1].id, claimant: "one", outcome: .delivered, now: 6600)
        try await store.settleDelivery(
            id: second[0].id, claimant: "two", outcome: .retry(at: 9000, error: "503"), now: 6600)
        var rows = try await store.deliveries(subscription: nil, limit: 10)
        #expect(rows.map(\.state) == [.pending, .delivered, .pending])
        #expect(rows[2].attempts == 1 && rows[2].dueMillis == 9000 && rows[2].lastError == "503")
        // The first claim of "one" lapses at 7000 and is claimed again; the retry is due at 9000.
        #expect(try await store.claimDeliveries(limit: 10, now: 6900, lease: 1000, claimant: "two").isEmpty)
        let again = try await store.claimDeliveries(limit: 10, now: 9000, lease: 1000, claimant: "two")
        #expect(again.map(\.message.seq) == [0, 2] && again[1].attempts == 1)
        // Settled late by the lapsed claimant: ignored, the new claim stands.
        try await store.settleDelivery(id: first[0].id, claimant: "one", outcome: .delivered, now: 9100)
        // Several settled in one transaction; a delivery keeps the error and due time of the attempt before.
        try await store.settleDeliveries(
            [(again[0].id, .dead(error: "gone")), (again[1].id, .delivered)], claimant: "two", now: 9100)
        rows = try await store.deliveries(subscription: "a", limit: 10)
        #expect(rows.map(\.state) == [.dead, .delivered, .delivered] && rows[0].lastError == "gone")
        #expect(rows[2].lastError == "503" && rows[2].dueMillis == 9000 && rows[2].attempts == 2)
        // A replay puts them back, attempts reset, same rows; a message of no subscription is not written.
        let replayed = try await store.enqueue(
            [0, 1, 2].map { OutboxMessage(subscription: "a", seq: $0, topic: "event") }
                + [OutboxMessage(subscription: "zz", seq: 0, topic: "event")], now: 20_000, again: true)
        #expect(replayed == 3)
        rows = try await store.deliveries(subscription: nil, limit: 10)
        #expect(rows.map(\.id) == [first[0].id, first[1].id, second[0].id])
        #expect(rows.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.dueMillis == 20_000 })
        // A message written twice is one message; written once more, not again, it is left as it is.
        let once = OutboxMessage(subscription: "a", seq: 0, topic: "alert:authorization-expired")
        #expect(try await store.enqueue([once, once], now: 30_000, again: false) == 1)
        #expect(try await store.enqueue([once], now: 40_000, again: false) == 0)
        rows = try await store.deliveries(subscription: "a", limit: 10)
        #expect(rows.count == 4 && rows[3].message == once && rows[3].createdMillis == 30_000)
    }
}
