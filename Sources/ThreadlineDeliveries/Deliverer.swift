import AsyncHTTPClient
import Foundation
import HTTPSignatures
import LedgerStore
import Logging
import NIOCore
import Statements
import Threadline

/// Delivers the outbox (`Specs/26-subscriptions.md` §5): claims due messages, posts each to its subscription's
/// webhook signed with the operator's key (RFC 9421, with `Content-Digest`), and settles it — delivered on a `2xx`,
/// else retried with exponential backoff and jitter, until it is older than `deadAfter` and becomes a dead letter.
/// Several deliverers (in several processes on one ledger) share the outbox: each claims different messages, and a
/// claim that is never settled (its process killed) lapses and is claimed again.
public actor Deliverer {
    public struct Options: Sendable {
        /// Messages claimed at once, and posted at once.
        public var batch = 64
        /// Milliseconds a claim holds; a message not settled by then is claimed again (so well over `timeout`).
        public var lease: Int64 = 35_000
        /// Seconds a webhook has to answer.
        public var timeout: Double = 10
        /// The first retry's delay and the longest, milliseconds; each retry doubles the delay, and a delay is drawn
        /// between half and all of it (jitter).
        public var firstRetry: Int64 = 1000
        public var longestRetry: Int64 = 3_600_000
        /// Milliseconds after its writing (or replay) that a message still failing becomes a dead letter.
        public var deadAfter: Int64 = 86_400_000
        /// Milliseconds between looks at the outbox when this process wrote nothing (other processes' messages,
        /// retries falling due).
        public var poll: Int64 = 1000
        /// The most bytes of a webhook's answer read (the rest is ignored).
        public var answerLimit = 64 * 1024

        public init() {}
    }

    let ledger: Ledger
    let key: SigningKey
    let client: HTTPClient
    let options: Options
    let logger: Logger
    /// This deliverer's name in the claims it makes.
    public nonisolated let claimant: String

    public init(ledger: Ledger, key: SigningKey, client: HTTPClient, options: Options = .init(), logger: Logger) {
        self.ledger = ledger
        self.key = key
        self.client = client
        self.options = options
        self.logger = logger
        self.claimant =
            ProcessInfo.processInfo.hostName + "/" + String(ProcessInfo.processInfo.processIdentifier) + "/"
            + UUID().uuidString.prefix(8)
    }

    /// Delivers until cancelled: whatever is due, then waits for this process's next outbox write or the next poll.
    public func run() async {
        var seen: Int64 = -1
        var lastClaim: Int64 = 0
        while !Task.isCancelled {
            let writes = await ledger.outboxWrites
            let now = ledger.nowMillis
            if writes == seen, now - lastClaim < options.poll {
                _ = await ledger.outboxWrite(after: seen, within: .milliseconds(options.poll - (now - lastClaim)))
            } else {
                seen = writes
                lastClaim = now
                do {
                    try await ledger.noteExpiredAuthorizations()
                    // A full batch may mean more are waiting: claim again at once.
                    if try await deliverDue() == options.batch { lastClaim = 0 }
                } catch {
                    logger.warning("the outbox could not be read", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Claims one batch of due messages, delivers them all at once, and settles them in one transaction; returns
    /// how many were claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let claimed = try await ledger.claimDeliveries(limit: options.batch, lease: options.lease, claimant: claimant)
        guard !claimed.isEmpty else { return 0 }
        // Built together (one read of the batch's proofs and records); should that fail, one by one.
        let built: [Result<Delivery?, any Error>]
        do { built = try await ledger.deliveries(for: claimed).map { .success($0) } } catch {
            var one: [Result<Delivery?, any Error>] = []
            for message in claimed {
                do { one.append(.success(try await ledger.delivery(for: message))) } catch {
                    one.append(.failure(error))
                }
            }
            built = one
        }
        let settlements = await withTaskGroup(of: (id: Int64, outcome: DeliveryOutcome)?.self) { group in
            for (message, delivery) in zip(claimed, built) {
                group.addTask { await self.deliver(message, delivery) }
            }
            var all: [(id: Int64, outcome: DeliveryOutcome)] = []
            for await one in group { if let one { all.append(one) } }
            return all
        }
        do { try await ledger.settleDeliveries(settlements, claimant: claimant) } catch {
            // The claims lapse and the messages are claimed again: at least once, never lost.
            logger.warning("deliveries could not be settled", metadata: ["error": "\(error)"])
        }
        return claimed.count
    }

    /// One attempt at one message, and how it ended (nil: its subscription is gone, nothing to settle).
    func deliver(
        _ claimed: ClaimedDelivery, _ built: Result<Delivery?, any Error>
    ) async -> (id: Int64, outcome: DeliveryOutcome)? {
        do {
            guard let delivery = try built.get() else { return nil }
            try await post(delivery)
            return (claimed.id, .delivered)
        } catch {
            logger.info(
                "delivery failed",
                metadata: [
                    "subscription": "\(claimed.message.subscription)", "seq": "\(claimed.message.seq)",
                    "attempt": "\(claimed.attempts + 1)", "error": "\(error)",
                ])
            return (claimed.id, settlement(of: claimed, after: "\(error)"))
        }
    }

    /// A failed attempt's outcome: retried after a backoff with jitter, or dead when the message is too old.
    nonisolated func settlement(of claimed: ClaimedDelivery, after error: String) -> DeliveryOutcome {
        let now = ledger.nowMillis
        guard now - claimed.createdMillis < options.deadAfter else { return .dead(error: error) }
        return .retry(at: now + Deliverer.backoff(attempts: claimed.attempts, options), error: error)
    }

    /// The delay before the retry after `attempts` earlier attempts and this failed one: `firstRetry` doubled each
    /// attempt, at most `longestRetry`, then drawn between half of it and all of it.
    static func backoff(attempts: Int, _ options: Options) -> Int64 {
        let doubled = options.firstRetry << Int64(min(attempts, 40))
        let delay = doubled <= 0 || doubled > options.longestRetry ? options.longestRetry : doubled
        return Int64.random(in: max(1, delay / 2)...max(1, delay))
    }

    /// Posts `delivery`, signed; throws unless the webhook answers `2xx` within the timeout.
    func post(_ delivery: Delivery) async throws {
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: delivery.idempotencyKey)
        let signed = RequestSignature.Request(method: "POST", targetURI: delivery.url, body: delivery.body)
        for (name, value) in try RequestSignature.sign(
            signed, key: key.noteSigner.privateKey, keyid: key.keyID, created: ledger.nowMillis / 1000,
            nonce: UUID().uuidString)
        {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: delivery.body))
        let response = try await client.execute(request, timeout: .milliseconds(Int64(options.timeout * 1000)))
        _ = try? await response.body.collect(upTo: options.answerLimit)
        guard (200..<300).contains(response.status.code) else {
            throw WebhookRefused(status: Int(response.status.code))
        }
    }

    struct WebhookRefused: Error, CustomStringConvertible {
        let status: Int
        var description: String { "the webhook answered \(status)" }
    }
}
