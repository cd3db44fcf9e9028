import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import LedgerStore
import Participants
import Statements
import TransparencyLog

/// Subscriptions and their deliveries (`Specs/26-subscriptions.md`): who is told of what, the outbox messages an
/// append writes with its records, and what each delivery carries — the event or alert with its record and
/// inclusion proof.
extension Ledger {
    /// The subscriber id of the operator's own subscriptions (made with the local CLI).
    public static let operatorSubscriber = "operator"

    /// Subscribes `subscriber` (a registered, unrevoked participant, or `operatorSubscriber`) to `subscription`.
    /// It is told of records from the log's size now on; `replay` tells it of earlier ones.
    public func subscribe(_ subscription: Subscription, subscriber: String) async throws -> StoredSubscription {
        let registry = try await currentRegistry()
        if subscriber != Ledger.operatorSubscriber {
            guard let p = registry.participants[subscriber], p.revokedAt == nil else {
                throw EngineError(
                    .subscriptionSubscriber, "'\(subscriber)' is not a registered participant that may subscribe")
            }
            guard try await subscriptions(of: subscriber).count < Subscription.maxPerSubscriber else {
                throw EngineError(
                    .subscriptionSubscriber,
                    "a participant keeps at most \(Subscription.maxPerSubscriber) subscriptions; end one first")
            }
        }
        if case .alerts(_, let subjects) = subscription.topic {
            for id in subjects.sellers + subjects.brands where registry.participants[id] == nil {
                throw EngineError(.subscriptionAlerts, "'\(id)' is not a registered participant")
            }
        }
        var id = [UInt8](repeating: 0, count: 16)
        for i in id.indices { id[i] = UInt8.random(in: 0...255) }
        let stored = StoredSubscription(
            id: id.map { String(format: "%02x", $0) }.joined(), subscriber: subscriber, url: subscription.url,
            body: Array(subscription.json.serialized.utf8), createdMillis: clock())
        let from = try await store.addSubscription(stored)
        matcher = nil
        return StoredSubscription(
            id: stored.id, subscriber: subscriber, url: stored.url, body: stored.body, fromSeq: from,
            createdMillis: stored.createdMillis)
    }

    /// The subscriptions of `subscriber` (every one when nil), oldest first.
    public nonisolated func subscriptions(of subscriber: String?) async throws -> [StoredSubscription] {
        try await store.subscriptions().subscriptions.filter { subscriber == nil || $0.subscriber == subscriber }
    }

    /// The subscription `id`, if `subscriber` may manage it (its own; the operator's are any).
    func subscription(_ id: String, of subscriber: String) async throws -> StoredSubscription {
        guard let found = try await store.subscription(id: id),
            subscriber == Ledger.operatorSubscriber || found.subscriber == subscriber
        else { throw EngineError(.subscriptionUnknown, "no subscription \(id) of \(subscriber)") }
        return found
    }

    /// Ends the subscription `id` of `subscriber`; its undelivered messages go with it.
    public func unsubscribe(_ id: String, subscriber: String) async throws {
        _ = try await subscription(id, of: subscriber)
        guard try await store.removeSubscription(id: id) else {
            throw EngineError(.subscriptionUnknown, "no subscription \(id) of \(subscriber)")
        }
        matcher = nil
    }

    /// Puts back in the outbox every message the subscription `id` has from record `from` on, as pending (a replay:
    /// the receiver gets them again, with the same idempotency keys). Judged with the registry as it stands now.
    /// Reads the log up to record `to` (its end when nil). Returns the number of messages. `progress` says how far
    /// the log has been read.
    public func replay(
        _ id: String, subscriber: String, from: Int64, to: Int64? = nil,
        progress: @Sendable (Int64, Int64) -> Void = { _, _ in }
    ) async throws -> Int {
        let stored = try await subscription(id, of: subscriber)
        let registry = try await currentRegistry()
        let one = SubscriptionMatcher(version: 0, stored: [stored])
        guard one.unreadable.isEmpty else { throw LedgerStoreError.corrupt("subscription \(id) does not read") }
        let size = min(try await store.size(), to ?? Int64.max)
        var messages: [OutboxMessage] = []
        var next = max(0, from)
        while next < size {
            let range = next..<min(size, next + 4096)
            let records = try await store.records(range)
            let openings = try await store.openings(in: range)
            for (offset, bytes) in records.enumerated() {
                let seq = range.lowerBound + Int64(offset)
                guard let record = try? LedgerRecord(bytes: bytes),
                    let statement = try? Ledger.statement(record.envelope, opening: openings[seq])
                else { continue }
                for (_, topic) in one.messages(
                    for: statement, keys: statement.indexKeys, signers: record.envelope.signatures.map(\.keyid),
                    registry: registry)
                {
                    messages.append(OutboxMessage(subscription: id, seq: seq, topic: topic))
                }
            }
            next = range.upperBound
            progress(next, size)
        }
        var count = 0
        for chunk in stride(from: 0, to: messages.count, by: 10_000) {
            count += try await store.enqueue(
                Array(messages[chunk..<min(messages.count, chunk + 10_000)]), now: clock(), again: true)
        }
        if count > 0 { outboxWrites += 1 }
        return count
    }

    /// Tells subscribers of the authorisations whose window has ended by now (26 §3): one `authorization-expired`
    /// message per subscription and authorisation — the grant's record — written if not there already, so that
    /// every process may look (the deliverer does, at each poll) and each is told once. An authorisation withdrawn
    /// before its end was told of as withdrawn. Returns the number of new messages.
    @discardableResult
    public func noteExpiredAuthorizations() async throws -> Int {
        let now = clock()
        let registry = try await currentRegistry()
        let ended = registry.authorizations.filter { authorization in
            guard let until = authorization.window.untilMicros, until / 1000 <= now,
                !expiriesNoted.contains(authorization.grantedAt)
            else { return false }
            return authorization.withdrawnAt == nil
        }
        guard !ended.isEmpty else { return 0 }
        // Read afresh: a subscription made in another process before the end is told too.
        matcher = nil
        let matcher = try await currentMatcher()
        var messages: [OutboxMessage] = []
        for authorization in ended {
            let end = (authorization.window.untilMicros ?? 0) / 1000
            for (subscription, topic) in matcher.expiry(of: authorization, endMillis: end) {
                messages.append(OutboxMessage(subscription: subscription, seq: authorization.grantedAt, topic: topic))
            }
        }
        let count = messages.isEmpty ? 0 : try await store.enqueue(messages, now: now, again: false)
        // Noted only once written: a failure leaves them to the next look.
        expiriesNoted.formUnion(ended.map(\.grantedAt))
        if count > 0 { outboxWrites += 1 }
        return count
    }

    /// Returns once this engine has written outbox messages since `seen` (`outboxWrites` then), or after `limit`, or
    /// on the task's cancellation, whichever is first; answers `outboxWrites`. A deliverer in the same process waits
    /// here, to deliver at once without polling.
    public func outboxWrite(after seen: Int64, within limit: Duration) async -> Int64 {
        guard outboxWrites == seen else { return outboxWrites }
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume() }
                let timer = Task {
                    try? await Task.sleep(for: limit)
                    self.wakeOutboxWaiter(id)
                }
                outboxWaiters[id] = (continuation, timer)
            }
        } onCancel: {
            Task { await self.wakeOutboxWaiter(id) }
        }
        return outboxWrites
    }

    func wakeOutboxWaiter(_ id: UUID) {
        guard let waiter = outboxWaiters.removeValue(forKey: id) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume()
    }

    func wakeOutboxWaiters() {
        for id in Array(outboxWaiters.keys) { wakeOutboxWaiter(id) }
    }

    /// Adds to `told` the `clone-suspected` alerts the batch raises (26 §3): for each serial a statement names that a
    /// subscription watches for clones, the integrity rules (12) over its recorded events and the batch's — the
    /// batch's at the records they will be, from `first` on — and an alert for each CLONE_SUSPECTED finding whose
    /// last record is of the batch, at that record (the one that made the clone). Only watched serials cost a read.
    func addCloneAlerts(
        to told: inout [[(subscription: String, topic: String)]], statements: [Statement], signers: [[String]],
        from first: Int64, matcher: SubscriptionMatcher, registry: Registry
    ) async throws {
        var watched: [String: [Int]] = [:]
        for (i, statement) in statements.enumerated() {
            guard case .event(let event, _) = statement else { continue }
            for code in matcher.cloneWatched(event, registry: registry) { watched[code, default: []].append(i) }
        }
        guard !watched.isEmpty else { return }
        if told.isEmpty { told = Array(repeating: [], count: statements.count) }
        func recorder(_ keys: [String], _ seq: Int64) -> Participant? {
            keys.lazy.compactMap { key -> Participant? in
                if case .valid(let id) = registry.signer(key, at: seq) { return registry.participants[id] }
                return nil
            }.first
        }
        for (code, batch) in watched.sorted(by: { $0.key < $1.key }) {
            var steps = try await events(naming: [IndexKey.object(code)]).map {
                IntegrityRules.Step(seq: $0.seq, event: $0.event, recorder: recorder($0.signers, $0.seq))
            }
            for i in batch {
                guard case .event(let event, _) = statements[i] else { continue }
                steps.append(
                    .init(seq: first + Int64(i), event: event, recorder: recorder(signers[i], first + Int64(i))))
            }
            let batchSeqs = Set(batch.map { first + Int64($0) })
            for finding in IntegrityRules.check(steps, registry: registry)
            where finding.code == .cloneSuspected && finding.identifier == code {
                guard let seq = finding.records.max(), batchSeqs.contains(seq) else { continue }
                for alert in matcher.cloneAlerts(code, registry: registry)
                where !told[Int(seq - first)].contains(where: { $0 == alert }) {
                    told[Int(seq - first)].append(alert)
                }
            }
        }
    }

    /// The matcher of the store's subscriptions, read again when they changed.
    func currentMatcher() async throws -> SubscriptionMatcher {
        if let matcher { return matcher }
        let (version, stored) = try await store.subscriptions()
        let fresh = SubscriptionMatcher(version: version, stored: stored)
        for id in fresh.unreadable {
            logger.warning("a subscription does not read and is not matched", metadata: ["subscription": "\(id)"])
        }
        matcher = fresh
        return fresh
    }

    /// The subscriptions an append was matched against changed before it committed.
    struct SubscriptionsChanged: Error {}
}

/// One delivery, ready to post: where, what, and the key the receiver recognises a repeat by.
public struct Delivery: Sendable {
    public let claimed: ClaimedDelivery
    /// The subscription's webhook URL.
    public let url: String
    /// The JSON body (`Specs/26-subscriptions.md` §6).
    public let body: [UInt8]
    /// `<subscription>.<seq>.<topic>`: the same for every attempt and every replay of the message.
    public var idempotencyKey: String {
        "\(claimed.message.subscription).\(claimed.message.seq).\(claimed.message.topic)"
    }
}

extension Ledger {
    /// What a claimed message delivers (`deliveries(for:)`); nil when the subscription is gone.
    public func delivery(for claimed: ClaimedDelivery) async throws -> Delivery? {
        try await deliveries(for: [claimed])[0]
    }

    /// What each claimed message delivers: the event (an `EPCISQueryDocument`) or the alert, with the record (when
    /// its subscriber may see it) and its tlog-proof against the latest checkpoint (signed first if the log grew);
    /// nil for a message whose subscription is gone. A batch's proofs, records and openings are read at once.
    public func deliveries(for claimed: [ClaimedDelivery]) async throws -> [Delivery?] {
        var subscriptions: [String: StoredSubscription] = [:]
        var queryNames: [String: String] = [:]
        for id in Set(claimed.map(\.message.subscription)) {
            subscriptions[id] = try await store.subscription(id: id)
            queryNames[id] = subscriptions[id].flatMap { try? Subscription(json: $0.body) }?.queryName
        }
        let live = claimed.filter { subscriptions[$0.message.subscription] != nil }
        let seqs = Array(Set(live.map(\.message.seq))).sorted()
        guard !seqs.isEmpty else { return claimed.map { _ in nil } }
        let registry = try await currentRegistry()
        let (proofs, entries) = try await inclusionProofs(seqs)
        let proved = Dictionary(uniqueKeysWithValues: zip(seqs, zip(proofs, entries)))
        let eventSeqs = Array(Set(live.filter { $0.message.topic == Subscription.eventTopic }.map(\.message.seq)))
        let events = Dictionary(
            uniqueKeysWithValues: try await recordedEvents(eventSeqs.sorted()).map { ($0.seq, $0) })
        let alertSeqs = Set(live.filter { $0.message.topic != Subscription.eventTopic }.map(\.message.seq))
        let openings = alertSeqs.isEmpty ? [:] : try await store.openings(at: alertSeqs.sorted())
        let creation = Timestamp.format(millis: clock())
        let policy = ReadPolicy(registry: registry)
        return try claimed.map { claimed -> Delivery? in
            let message = claimed.message
            guard let stored = subscriptions[message.subscription], let (proof, entry) = proved[message.seq] else {
                return nil
            }
            let body: JSONValue
            if message.topic == Subscription.eventTopic, let recorded = events[message.seq] {
                var document = try EventQuery.document(EventPage(events: [recorded], next: nil), creationDate: creation)
                if let name = queryNames[stored.id] {
                    document = Ledger.naming(name, queryResultsOf: document)
                }
                body = Ledger.adding(
                    [
                        .init("subscriptionID", .string(stored.id)),
                        .init("threadline:entries", .array([.string(Data(entry).base64EncodedString())])),
                        .init("threadline:proofs", .array([.string(proof.encoded)])),
                    ], toQueryResultsOf: document)
            } else {
                let record = try LedgerRecord(bytes: entry)
                let kind = String(message.topic.dropFirst("alert:".count))
                let opening = openings[message.seq]
                let statement = try Ledger.statement(record.envelope, opening: opening)
                let reader: Reader =
                    stored.subscriber == Ledger.operatorSubscriber ? .operator : .participant(stored.subscriber)
                var members: [JSONValue.Member] = [
                    .init("type", .string("ThreadlineAlert")), .init("subscriptionID", .string(stored.id)),
                    .init("alert", .string(kind)), .init("seq", .number(String(message.seq))),
                    .init("creationDate", .string(creation)),
                    .init(
                        "about", .array(Ledger.about(statement, for: stored, registry: registry).map { .string($0) })),
                ]
                if policy.sees(record.envelope, reader: reader) {
                    members.append(.init("record", .string(Data(entry).base64EncodedString())))
                    if let opening { members.append(.init("opening", try JSONValue(parsing: opening))) }
                } else {
                    members.append(.init("leaf", .string(Merkle.leafHash(entry).base64)))
                }
                members.append(.init("proof", .string(proof.encoded)))
                body = .object(members)
            }
            return Delivery(claimed: claimed, url: stored.url, body: Array(body.serialized.utf8))
        }
    }

    /// `document` (an EPCISQueryDocument) with its `queryResults`' `queryName` made `name` (a named query's, 26 §8).
    public static func naming(_ name: String, queryResultsOf document: JSONValue) -> JSONValue {
        editingQueryResults(of: document) { results in
            results = results.map { $0.key == "queryName" ? .init("queryName", .string(name)) : $0 }
        }
    }

    /// `document` (an EPCISQueryDocument) with `members` added to its `queryResults`: the first before its members,
    /// the others after.
    static func adding(_ members: [JSONValue.Member], toQueryResultsOf document: JSONValue) -> JSONValue {
        editingQueryResults(of: document) { results in results = members.prefix(1) + results + members.dropFirst() }
    }

    /// `document` with `edit` applied to the members of its `epcisBody.queryResults` (unchanged without one).
    static func editingQueryResults(
        of document: JSONValue, _ edit: (inout [JSONValue.Member]) -> Void
    ) -> JSONValue {
        guard case .object(var top) = document, let b = top.firstIndex(where: { $0.key == "epcisBody" }),
            case .object(var body) = top[b].value, let r = body.firstIndex(where: { $0.key == "queryResults" }),
            case .object(var results) = body[r].value
        else { return document }
        edit(&results)
        body[r] = .init("queryResults", .object(results))
        top[b] = .init("epcisBody", .object(body))
        return .object(top)
    }

    /// What an alert is about, as far as its subscriber named it: the products and lots of a product alert that the
    /// subscription names (by code, GTIN or brand), or the participants of a registry alert.
    static func about(_ statement: Statement, for stored: StoredSubscription, registry: Registry) -> [String] {
        guard let subscription = try? Subscription(json: stored.body),
            case .alerts(_, let subjects) = subscription.topic
        else { return [] }
        func named(_ code: String) -> Bool {
            if subjects.codes.contains(code) { return true }
            guard let gtin = DigitalLink.gtin(inCanonical: code) else { return false }
            return subjects.gtins.contains(gtin)
                || registry.owner(ofGTIN: gtin).map { subjects.brands.contains($0.id) } == true
        }
        switch statement {
        case .event(let event, _): return IntegrityRules.stoppedObjects(event).filter(named)
        case .verification(let verification, _): return [verification.product].filter(named)
        case .registry(let change, _):
            switch change.change {
            case .channelAuthorization(let brand, let channel, _, _, _): return [channel, brand]
            case .revocation(let participant, _, _): return [participant]
            default: return []
            }
        default: return []
        }
    }
}

extension Ledger {
    /// Claims up to `limit` due outbox messages for `claimant` for `lease` milliseconds (`OutboxStore`).
    public nonisolated func claimDeliveries(
        limit: Int, lease: Int64, claimant: String
    ) async throws
        -> [ClaimedDelivery]
    {
        try await store.claimDeliveries(limit: limit, now: clock(), lease: lease, claimant: claimant)
    }

    /// Settles a claimed message (`OutboxStore.settleDeliveries`).
    public nonisolated func settleDelivery(_ id: Int64, claimant: String, outcome: DeliveryOutcome) async throws {
        try await settleDeliveries([(id, outcome)], claimant: claimant)
    }

    /// Settles claimed messages in one transaction (`OutboxStore.settleDeliveries`).
    public nonisolated func settleDeliveries(
        _ settlements: [(id: Int64, outcome: DeliveryOutcome)], claimant: String
    ) async throws {
        try await store.settleDeliveries(settlements, claimant: claimant, now: clock())
    }

    /// The outbox's messages for `subscription` (all when nil), in the order written, at most `limit`.
    public nonisolated func deliveries(subscription: String?, limit: Int = 1000) async throws -> [StoredDelivery] {
        try await store.deliveries(subscription: subscription, limit: limit)
    }

    /// The engine's clock, milliseconds since the epoch.
    public nonisolated var nowMillis: Int64 { clock() }
}

extension StoredSubscription {
    /// The subscription as the server's routes and `subscriptions --json` give it (`Specs/26-subscriptions.md` §7):
    /// id, subscriber, url, fromSeq, created (an xsd:dateTime), the subscription's JSON form, and how many of
    /// `deliveries` (its messages) are in each state.
    public func json(deliveries: [StoredDelivery]) throws -> JSONValue {
        let counts = Dictionary(grouping: deliveries, by: \.state).mapValues(\.count)
        return .object([
            .init("id", .string(id)), .init("subscriber", .string(subscriber)), .init("url", .string(url)),
            .init("fromSeq", .number(String(fromSeq))),
            .init("created", .string(Timestamp.format(millis: createdMillis))),
            .init("subscription", try JSONValue(parsing: body)),
            .init(
                "deliveries",
                .object(
                    [DeliveryState.pending, .delivered, .dead].map {
                        .init($0.rawValue, .number(String(counts[$0] ?? 0)))
                    })),
        ])
    }
}
