import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import Logging
import Statements
import Testing
import ThreadlineDeliveries
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Deliveries to a real webhook on loopback (Specs/26-subscriptions.md §5–§6): one that fails, times out and
/// recovers; signed, proved requests a receiver checks offline; dead letters.
struct DeliveryTests {
    static func options() -> Deliverer.Options {
        var options = Deliverer.Options()
        options.firstRetry = 20
        options.longestRetry = 100
        options.timeout = 0.5
        options.lease = 5000
        return options
    }

    /// Runs `deliverer` until `done` holds (at most 20 s).
    static func deliver(_ deliverer: Deliverer, until done: () async throws -> Bool) async throws {
        for _ in 0..<400 {
            if try await done() { return }
            try await deliverer.deliverDue()
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the deliveries did not settle")
    }

    @Test func aWebhookThatFailsAndTimesOutGetsTheEventOnceItRecoversSignedAndProved() async throws {
        let ledger = try await ServerTests.ledger()
        let receiver = WebhookReceiver([.status(.internalServerError), .hang(seconds: 2), .status(.serviceUnavailable)])
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        try await receiver.serving { base in
            let url = base + "/hook"
            let subscription = try await ledger.subscribe(
                try Subscription(url: url, topic: .events(query: [.init("EQ_bizStep", "commissioning")])),
                subscriber: Ledger.operatorSubscriber)
            _ = try await ledger.append([try Envelope(json: Array(buffer: ServerTests.event(1)))])
            let deliverer = Deliverer(
                ledger: ledger, key: ServerTests.operatorKey, client: client, options: Self.options(),
                logger: Logger(label: "test"))
            try await Self.deliver(deliverer) {
                try await ledger.deliveries(subscription: subscription.id).first?.state == .delivered
            }
            let row = try #require(try await ledger.deliveries(subscription: subscription.id).first)
            #expect(row.attempts == 4 && row.message.seq == 1 && row.message.topic == "event")
            let got = await receiver.got
            #expect(got.count == 4)
            // Every attempt is the same message: one idempotency key; the receiver keeps the last.
            #expect(Set(got.map { $0.headers["idempotency-key"] }) == ["\(subscription.id).1.event"])
            let last = try #require(got.last)
            let field = { (name: String) in last.headers[name] }
            let verified = try DeliveryVerifier.verify(
                method: "POST", url: url, field: field, body: last.body, operatorKey: ServerTests.operatorKey.keyID)
            #expect(
                verified
                    == VerifiedDelivery(subscription: subscription.id, kind: "event", records: [1], checkpointSize: 2))
            // Altered, or checked against another key, it does not hold.
            var altered = last.body
            altered[altered.count / 2] ^= 1
            #expect(throws: EngineError.self) {
                try DeliveryVerifier.verify(
                    method: "POST", url: url, field: field, body: altered, operatorKey: ServerTests.operatorKey.keyID)
            }
            #expect(throws: EngineError.self) {
                try DeliveryVerifier.verify(
                    method: "POST", url: url, field: field, body: last.body, operatorKey: ServerTests.brand.keyID)
            }
            #expect(throws: EngineError.self) {
                try DeliveryVerifier.verify(
                    method: "POST", url: url + "x", field: field, body: last.body,
                    operatorKey: ServerTests.operatorKey.keyID)
            }
        }
        try await client.shutdown()
    }

    @Test func aMessageStillFailingAfterItsTimeIsADeadLetterAndAReplaySendsItAgain() async throws {
        let ledger = try await ServerTests.ledger()
        let receiver = WebhookReceiver([.status(.gone), .status(.gone)])
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        try await receiver.serving { base in
            let url = base + "/hook"
            let subscription = try await ledger.subscribe(
                try Subscription(
                    url: url, topic: .events(query: [.init("MATCH_epc", "urn:epc:id:sgtin:0614141.112345.1")])),
                subscriber: Ledger.operatorSubscriber)
            _ = try await ledger.append([try Envelope(json: Array(buffer: ServerTests.event(1)))])
            var options = Self.options()
            options.deadAfter = 0
            // The webhook answers at once: a long timeout, so that a loaded machine's slowness is not the failure.
            options.timeout = 10
            let deliverer = Deliverer(
                ledger: ledger, key: ServerTests.operatorKey, client: client, options: options,
                logger: Logger(label: "test"))
            try await Self.deliver(deliverer) {
                try await ledger.deliveries(subscription: subscription.id).first?.state == .dead
            }
            let dead = try #require(try await ledger.deliveries(subscription: subscription.id).first)
            #expect(dead.attempts == 1 && dead.lastError?.contains("410") == true, "\(dead)")
            // Replayed from record 1: pending again, then delivered once the webhook takes it.
            #expect(try await ledger.replay(subscription.id, subscriber: Ledger.operatorSubscriber, from: 1) == 1)
            try await Self.deliver(deliverer) {
                let got = await receiver.got.count
                return try await ledger.deliveries(subscription: subscription.id).first?.state == .dead && got == 2
            }
            let paused = Deliverer(
                ledger: ledger, key: ServerTests.operatorKey, client: client, options: Self.options(),
                logger: Logger(label: "test"))
            #expect(try await ledger.replay(subscription.id, subscriber: Ledger.operatorSubscriber, from: 0) == 1)
            try await Self.deliver(paused) {
                try await ledger.deliveries(subscription: subscription.id).first?.state == .delivered
            }
            #expect(await receiver.got.count == 3)
        }
        try await client.shutdown()
    }
}
