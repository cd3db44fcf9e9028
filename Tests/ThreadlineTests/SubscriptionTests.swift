import EPCIS
import Foundation
import LedgerStore
import LedgerStoreSQLite
import Participants
import Statements
import Synchronization
import Testing

@testable import Threadline

/// Subscriptions in the engine (Specs/26-subscriptions.md): what an append tells whom, in its own transaction.
struct SubscriptionTests {
    typealias R = RecordingTests
    static let serial = "https://id.gs1.org/01/10614141123459/21/1"

    static func events(_ query: [(String, String)], url: String = "http://127.0.0.1:9/hook") throws -> Subscription {
        try Subscription(url: url, topic: .events(query: query.map { Subscription.Parameter($0.0, $0.1) }))
    }

    static func alerts(
        _ kinds: [AlertKind] = AlertKind.allCases, codes: [String] = [], gtins: [String] = [],
        sellers: [String] = [], brands: [String] = []
    ) throws -> Subscription {
        try Subscription(
            url: "http://127.0.0.1:9/hook",
            topic: .alerts(
                kinds: Set(kinds),
                subjects: try .init(checking: codes, gtins: gtins, sellers: sellers, brands: brands)))
    }

    /// (seq, topic) of the outbox's messages for `subscription`.
    static func told(_ ledger: Ledger, _ subscription: StoredSubscription) async throws -> [String] {
        try await ledger.deliveries(subscription: subscription.id).map { "\($0.message.seq) \($0.message.topic)" }
    }

    static let recall = R.event(
        #""type":"ObjectEvent","action":"OBSERVE","bizStep":"holding","disposition":"recalled","epcList":["urn:epc:id:sgtin:0614141.112345.1","urn:epc:id:sgtin:0614141.112345.2"]"#
    )

    @Test func eventsMatchingAQueryAreToldToSubscribersWhoMaySeeThem() async throws {
        let ledger = try await R.ledger()
        let brand = try await ledger.subscribe(try Self.events([("EQ_bizStep", "shipping")]), subscriber: "acme")
        let everything = try await ledger.subscribe(
            try Self.events([("MATCH_epc", Self.serial)]), subscriber: Ledger.operatorSubscriber)
        // The shop may not see the brand's events (21): its subscription to them is told nothing.
        let shop = try await ledger.subscribe(try Self.events([("MATCH_epc", Self.serial)]), subscriber: "shop")
        #expect(brand.fromSeq == 4 && shop.fromSeq == 4)
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(R.shipShirts, by: R.brand),
            try R.signed(R.commissionBale, by: R.farm),
        ])
        #expect(try await Self.told(ledger, brand) == ["5 event"])
        #expect(try await Self.told(ledger, everything) == ["4 event", "5 event"])
        #expect(try await Self.told(ledger, shop).isEmpty)
        // The shop's own sale is its to see.
        _ = try await ledger.append([try R.signed(R.sellShirt, by: R.shop)])
        #expect(try await Self.told(ledger, shop) == ["7 event"])
        // A bad query is refused when subscribing, not when matching.
        #expect(throws: EngineError.self) { try Self.events([("EQ_action", "SELL")]) }
        #expect(throws: EngineError.self) { try Self.events([("perPage", "5")]) }
        await #expect(throws: EngineError.self) {
            try await ledger.subscribe(try Self.events([]), subscriber: "nobody")
        }
    }

    @Test func alertsReachWhoeverNamedTheirCodeGTINSellerOrBrand() async throws {
        let ledger = try await R.ledger()
        let byCode = try await ledger.subscribe(try Self.alerts(codes: [Self.serial]), subscriber: "shop")
        let byGTIN = try await ledger.subscribe(
            try Self.alerts([.recalled], gtins: ["10614141123459"]), subscriber: "shop")
        let byBrand = try await ledger.subscribe(try Self.alerts(brands: ["acme"]), subscriber: "shop")
        let bySeller = try await ledger.subscribe(try Self.alerts(sellers: ["shop"]), subscriber: "acme")
        let stolenOnly = try await ledger.subscribe(
            try Self.alerts([.stolen], codes: [Self.serial]), subscriber: "shop")
        let other = try await ledger.subscribe(
            try Self.alerts(codes: ["https://id.gs1.org/01/10614141123459/21/9"]), subscriber: "shop")
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(Self.recall, by: R.brand),
            try R.registry(
                .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false),
                basis: 4, by: R.brand),
        ])
        #expect(try await Self.told(ledger, byCode) == ["5 alert:recalled"])
        #expect(try await Self.told(ledger, byGTIN) == ["5 alert:recalled"])
        #expect(try await Self.told(ledger, byBrand) == ["5 alert:recalled"])
        #expect(try await Self.told(ledger, stolenOnly).isEmpty)
        #expect(try await Self.told(ledger, other).isEmpty)
        // The brand withdraws the shop's authorisation, then the operator revokes the shop.
        _ = try await ledger.append([
            try R.registry(
                .channelAuthorization(brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: true),
                basis: 7, by: R.brand)
        ])
        _ = try await ledger.append([
            try R.registry(.revocation(participant: "shop", key: nil, reason: "fraud"), basis: 8)
        ])
        #expect(try await Self.told(ledger, bySeller) == ["7 alert:authorization-withdrawn", "8 alert:revoked"])
        #expect(try await Self.told(ledger, byBrand) == ["5 alert:recalled", "7 alert:authorization-withdrawn"])
        // Alerts name only what the subscription named; its record only when the subscriber may see it.
        let claimed = try await ledger.claimDeliveries(limit: 100, lease: 60_000, claimant: "t")
        let recalled = try #require(claimed.first { $0.message.subscription == byCode.id })
        let body = try #require(try await ledger.delivery(for: recalled)).body
        let json = try JSONValue(parsing: body)
        #expect(json["about"] == .array([.string(Self.serial)]))
        #expect(json["alert"] == .string("recalled") && json["record"] == nil && json["leaf"] != nil)
        let withdrawn = try #require(claimed.first { $0.message.subscription == bySeller.id && $0.message.seq == 7 })
        let registryAlert = try JSONValue(parsing: try #require(try await ledger.delivery(for: withdrawn)).body)
        #expect(registryAlert["about"] == .array([.string("shop"), .string("acme")]) && registryAlert["record"] != nil)
    }

    @Test func theEndOfAnAuthorisationsWindowIsToldOnceToWhoeverNamedItsSellerOrBrand() async throws {
        // The clock starts at 2025-11-29T09:40Z: both windows are open when the subscriptions are made.
        let clock = Clock(1_764_409_200_000)
        let ledger = try await R.ledgerAndPath(clock: clock.read).0
        let seller = try await ledger.subscribe(
            try Self.alerts([.authorizationExpired], sellers: ["shop"]), subscriber: "acme")
        let brand = try await ledger.subscribe(try Self.alerts(brands: ["acme"]), subscriber: "shop")
        let withdrawnOnly = try await ledger.subscribe(
            try Self.alerts([.authorizationWithdrawn], sellers: ["shop"]), subscriber: "acme")
        func window(_ until: String) throws -> RegistryStatement.Change {
            .channelAuthorization(
                brand: "acme", channel: "shop", companyPrefixes: [], withdrawn: false,
                window: try AuthorizationWindow(validFrom: "2025-11-28T20:00:00+08:00", validUntil: until))
        }
        _ = try await ledger.append([try R.registry(try window("2025-11-29T18:00:00+08:00"), basis: 4, by: R.brand)])
        _ = try await ledger.append([try R.registry(try window("2025-12-29T18:00:00+08:00"), basis: 5, by: R.brand)])
        #expect(try await ledger.noteExpiredAuthorizations() == 0)
        // An hour on, at 10:40Z, the first window (until 10:00Z) has ended, the second has not.
        clock.set(1_764_412_800_000)
        #expect(try await ledger.noteExpiredAuthorizations() == 2)
        #expect(try await ledger.noteExpiredAuthorizations() == 0)
        #expect(try await Self.told(ledger, seller) == ["4 alert:authorization-expired"])
        #expect(try await Self.told(ledger, brand) == ["4 alert:authorization-expired"])
        #expect(try await Self.told(ledger, withdrawnOnly).isEmpty)
        // Another engine (another server) looking again writes nothing twice.
        let other = try await Ledger(store: ledger.store, operatorKey: Sample.operatorKey, clock: clock.read)
        #expect(try await other.noteExpiredAuthorizations() == 0)
        let claimed = try await ledger.claimDeliveries(limit: 10, lease: 1000, claimant: "t")
        let body = try JSONValue(parsing: try #require(try await ledger.delivery(for: claimed[0])).body)
        #expect(
            body["alert"] == .string("authorization-expired")
                && body["about"] == .array([.string("shop"), .string("acme")]))
    }

    @Test func aReceiptThatMakesASecondCustodyChainIsACloneAlertAtItsRecord() async throws {
        let ledger = try await R.ledger()
        let brand = try await ledger.subscribe(try Self.alerts([.cloneSuspected], brands: ["acme"]), subscriber: "acme")
        let other = try await ledger.subscribe(
            try Self.alerts([.cloneSuspected], codes: ["urn:epc:id:sgtin:0614141.112345.2"]), subscriber: "acme")
        let receive = R.event(
            #""type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#,
            time: "2026-09-02T08:00:00Z")
        // Made by the brand, then received by the shop, to which the brand never shipped it: two custody chains.
        _ = try await ledger.append([try R.signed(R.commissionShirts, by: R.brand)])
        #expect(try await Self.told(ledger, brand).isEmpty)
        _ = try await ledger.append([try R.signed(receive, by: R.shop)])
        #expect(try await Self.told(ledger, brand) == ["5 alert:clone-suspected"])
        #expect(try await Self.told(ledger, other).isEmpty)
        // Within one batch too: the alert is at the record that makes the clone.
        let (second, _) = try await R.ledgerAndPath()
        let watch = try await second.subscribe(
            try Self.alerts([.cloneSuspected], codes: [Self.serial]), subscriber: "acme")
        _ = try await second.append([try R.signed(R.commissionShirts, by: R.brand), try R.signed(receive, by: R.shop)])
        #expect(try await Self.told(second, watch) == ["5 alert:clone-suspected"])
    }

    @Test func aSubscriptionOnANamedQueryIsToldAsItsQueryAndNamesIt() async throws {
        let ledger = try await R.ledger()
        let query = try NamedQuery(
            json: Array(#"{"name":"ships","query":{"EQ_bizStep":["shipping"],"MATCH_epc":"\#(Self.serial)"}}"#.utf8))
        #expect(query.parameters == [.init("EQ_bizStep", "shipping"), .init("MATCH_epc", Self.serial)])
        _ = try await ledger.defineQuery(query, owner: "acme")
        await #expect(throws: EngineError.self) { try await ledger.defineQuery(query, owner: "acme") }
        let stored = try await ledger.subscribe(url: "https://brand.example/hook", toQuery: "ships", owner: "acme")
        let subscription = try Subscription(json: stored.body)
        #expect(subscription.queryName == "ships" && subscription.topic == .events(query: query.parameters))
        #expect(try await ledger.subscriptions(onQuery: "ships", of: "acme").map(\.id) == [stored.id])
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(R.shipShirts, by: R.brand),
        ])
        let claimed = try await ledger.claimDeliveries(limit: 10, lease: 1000, claimant: "t")
        #expect(claimed.map(\.message.seq) == [5])
        let body = try JSONValue(parsing: try #require(try await ledger.delivery(for: claimed[0])).body)
        #expect(body["epcisBody"]?["queryResults"]?["queryName"] == .string("ships"))
        // An alert subscription is not made on a query; a query's name is a path segment.
        #expect(throws: EngineError.self) {
            try Subscription(
                json: Array(#"{"url":"https://a.example/","queryName":"x","gtins":["10614141123459"]}"#.utf8))
        }
        #expect(throws: EngineError.self) { try NamedQuery(name: "../x", parameters: []) }
        try await ledger.dropQuery("ships", owner: "acme")
        #expect(try await ledger.subscriptions(of: "acme").isEmpty)
        await #expect(throws: EngineError.self) { try await ledger.namedQuery("ships", of: "acme") }
    }

    @Test func aParticipantKeepsAtMostItsShareOfSubscriptionsAndTheOperatorAny() async throws {
        let ledger = try await R.ledger()
        let one = try Self.alerts([.recalled], codes: [Self.serial])
        for _ in 0..<Subscription.maxPerSubscriber { _ = try await ledger.subscribe(one, subscriber: "shop") }
        await #expect(throws: EngineError.self) { try await ledger.subscribe(one, subscriber: "shop") }
        _ = try await ledger.subscribe(one, subscriber: "acme")
        _ = try await ledger.subscribe(one, subscriber: Ledger.operatorSubscriber)
        // Ending one makes room again.
        let first = try #require(try await ledger.subscriptions(of: "shop").first)
        try await ledger.unsubscribe(first.id, subscriber: "shop")
        _ = try await ledger.subscribe(one, subscriber: "shop")
    }

    @Test func aWaitForTheOutboxEndsAtAWriteAtItsLimitOrOnCancellation() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.subscribe(try Self.alerts([.recalled], codes: [Self.serial]), subscriber: "acme")
        let seen = await ledger.outboxWrites
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await ledger.outboxWrite(after: seen, within: .milliseconds(50)) == seen)
        #expect(clock.now - start >= .milliseconds(50))
        // A write that tells someone wakes the waiter, long before its limit.
        let waiting = Task { await ledger.outboxWrite(after: seen, within: .seconds(600)) }
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(Self.recall, by: R.brand),
        ])
        #expect(await waiting.value == seen + 1)
        // A write already made since `seen` answers at once; a cancelled wait ends at once.
        #expect(await ledger.outboxWrite(after: seen, within: .seconds(600)) == seen + 1)
        let cancelled = Task { await ledger.outboxWrite(after: seen + 1, within: .seconds(600)) }
        cancelled.cancel()
        #expect(await cancelled.value == seen + 1)
    }

    @Test func aSecondCorrectEntryOfAHiddenCodeAlertsItsSubscribers() async throws {
        let ledger = try await R.ledger()
        let watch = try await ledger.subscribe(
            try Self.alerts([.firstScanFailed], codes: [HiddenCodeLedgerTests.serial]), subscriber: "shop")
        _ = try await ledger.append([try HiddenCodeLedgerTests.commitment()])
        #expect(try await ledger.checkCode("8W15QNEQP6", product: HiddenCodeLedgerTests.serial) != .wrong)
        #expect(try await Self.told(ledger, watch).isEmpty)
        _ = try await ledger.checkCode("8W15QNEQP6", product: HiddenCodeLedgerTests.serial)
        #expect(try await Self.told(ledger, watch) == ["6 alert:first-scan-failed"])
    }

    @Test func anAppendByAnotherEngineSeesASubscriptionItDidNotKnow() async throws {
        let (ledger, path) = try await R.ledgerAndPath()
        // This engine reads the subscriptions (none) before another process subscribes.
        _ = try await ledger.append([try R.signed(R.commissionShirts, by: R.brand)])
        let other = try await Ledger(
            store: try SQLiteLedgerStore.open(path: path), operatorKey: Sample.operatorKey,
            clock: { 1_764_412_800_000 })
        let subscription = try await other.subscribe(try Self.events([("EQ_bizStep", "shipping")]), subscriber: "acme")
        _ = try await ledger.append([try R.signed(R.shipShirts, by: R.brand)])
        #expect(try await Self.told(ledger, subscription) == ["5 event"])
        // And an ended subscription is told nothing more.
        try await other.unsubscribe(subscription.id, subscriber: "acme")
        _ = try await ledger.append([try R.signed(R.inspect, by: R.certifier)])
        #expect(try await Self.told(ledger, subscription) == [])
        #expect(try await ledger.subscriptions(of: nil).isEmpty)
    }

    @Test func aReplayTellsAgainFromARecordWithTheSameMessages() async throws {
        let ledger = try await R.ledger()
        _ = try await ledger.append([
            try R.signed(R.commissionShirts, by: R.brand), try R.signed(R.shipShirts, by: R.brand),
        ])
        let subscription = try await ledger.subscribe(
            try Self.events([("MATCH_epc", Self.serial)]), subscriber: "acme")
        _ = try await ledger.append([try R.signed(R.inspect, by: R.certifier)])
        let claimed = try await ledger.claimDeliveries(limit: 10, lease: 60_000, claimant: "t")
        try await ledger.settleDelivery(claimed[0].id, claimant: "t", outcome: .delivered)
        #expect(try await ledger.deliveries(subscription: subscription.id).map(\.state) == [.delivered])
        // From record 5 on: the shipment (before it subscribed) and the inspection (delivered) again.
        #expect(try await ledger.replay(subscription.id, subscriber: "acme", from: 5) == 2)
        let rows = try await ledger.deliveries(subscription: subscription.id)
        #expect(rows.map(\.message.seq) == [6, 5] && rows.allSatisfy { $0.state == .pending })
        #expect(rows[0].id == claimed[0].id)
        // Only its subscriber (or the operator) may replay or end it.
        await #expect(throws: EngineError.self) {
            try await ledger.replay(subscription.id, subscriber: "shop", from: 0)
        }
        await #expect(throws: EngineError.self) { try await ledger.unsubscribe(subscription.id, subscriber: "shop") }
    }

    @Test func theJSONFormReadsBackAndRefusesWhatIsNotASubscription() throws {
        let subscription = try Self.alerts(
            [.recalled, .revoked], codes: ["urn:epc:id:sgtin:0614141.112345.1"], gtins: ["0614141123452"])
        let read = try Subscription(json: Array(subscription.json.serialized.utf8))
        #expect(read == subscription)
        #expect(
            subscription.json.serialized
                == #"{"url":"http://127.0.0.1:9/hook","alerts":["recalled","revoked"],"codes":["https://id.gs1.org/01/10614141123459/21/1"],"gtins":["00614141123452"]}"#
        )
        for bad in [
            #"{"url":"ftp://x/","codes":["x"]}"#, #"{"url":"http://h/#f","gtins":["00614141123459"]}"#,
            #"{"url":"http://h/","alerts":["recalled"]}"#, #"{"url":"http://h/","alerts":["nope"],"codes":[]}"#,
            #"{"url":"http://h/","gtins":["123"]}"#, #"{"url":"http://h/","query":{"EQ_action":"X"}}"#,
            #"{"url":"http://h/","query":{"eventType":"ObjectEvent"},"codes":[]}"#, #"{"url":"http://h/","extra":1}"#,
            #"[]"#, #"{"url":"http://u:p@h/","sellers":["s"]}"#,
        ] {
            #expect(throws: EngineError.self, "\(bad)") { try Subscription(json: Array(bad.utf8)) }
        }
    }
}

/// A clock a test sets.
final class Clock: Sendable {
    private let now: Mutex<Int64>
    init(_ millis: Int64) { now = Mutex(millis) }
    func set(_ millis: Int64) { now.withLock { $0 = millis } }
    var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
}
