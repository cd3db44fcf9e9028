import EPCIS
import GS1Identifiers
import LedgerRules
import LedgerStore
import Participants
import Statements

/// The active subscriptions, indexed so that a statement finds those it concerns without looking at the others
/// (`Specs/26-subscriptions.md` §4): event subscriptions under the index keys that select their events, alert
/// subscriptions under their subjects. Built from the store's subscriptions at one version.
struct SubscriptionMatcher: Sendable {
    /// One subscription, read.
    struct Active: Sendable {
        let stored: StoredSubscription
        let subscription: Subscription
        /// For an event subscription: its query.
        let query: EventQuery?
        let kinds: Set<AlertKind>
        var reader: Reader {
            stored.subscriber == Ledger.operatorSubscriber ? .operator : .participant(stored.subscriber)
        }
    }

    /// The store's version these subscriptions are (`OutboxStore.subscriptions`).
    let version: Int64
    let byID: [String: Active]
    /// Event subscriptions under one index key that every event they match has; those with no such key.
    private var eventsByKey: [String: [String]] = [:]
    private var everyEvent: [String] = []
    /// Alert subscriptions under each subject key (`Subject`).
    private var alertsBySubject: [String: [String]] = [:]

    var isEmpty: Bool { byID.isEmpty }

    /// Whether any subscription asks for `clone-suspected` alerts (then appends look for them, 26 §3).
    let watchesClones: Bool

    /// The matcher of `stored`; a subscription whose stored form no longer reads (written by a newer version) is
    /// left out and named in `unreadable`.
    init(version: Int64, stored: [StoredSubscription]) {
        self.version = version
        var byID: [String: Active] = [:]
        var unreadable: [String] = []
        for s in stored {
            guard let subscription = try? Subscription(json: s.body) else {
                unreadable.append(s.id)
                continue
            }
            switch subscription.topic {
            case .events(let parameters):
                guard let query = try? EventQuery(parameters: parameters.map { ($0.name, $0.value) }) else {
                    unreadable.append(s.id)
                    continue
                }
                byID[s.id] = Active(stored: s, subscription: subscription, query: query, kinds: [])
                if let keys = SubscriptionMatcher.selectingKeys(query) {
                    for key in keys { eventsByKey[key, default: []].append(s.id) }
                } else {
                    everyEvent.append(s.id)
                }
            case .alerts(let kinds, let subjects):
                byID[s.id] = Active(stored: s, subscription: subscription, query: nil, kinds: kinds)
                let keys =
                    subjects.codes.map(Subject.code) + subjects.gtins.map(Subject.gtin)
                    + subjects.sellers.map(Subject.seller) + subjects.brands.map(Subject.brand)
                for key in keys { alertsBySubject[key, default: []].append(s.id) }
            }
        }
        self.byID = byID
        self.unreadable = unreadable
        self.watchesClones = byID.values.contains { $0.kinds.contains(.cloneSuspected) }
    }

    /// Stored subscriptions that did not read.
    let unreadable: [String]

    /// The keys of one of the query's indexed conditions (the first given, in `Ledger.page`'s order): every event
    /// the query matches has one of them. Nil when it has none (it may match any event).
    static func selectingKeys(_ query: EventQuery) -> [String]? {
        [
            (query.matchEPC + query.matchAnyEPC + query.matchEPCClass).map(IndexKey.object),
            query.bizLocation.map(IndexKey.bizLocation), query.readPoint.map(IndexKey.readPoint),
            query.bizStep.map { IndexKey.bizStep(CBV.bizStep.canonical($0) ?? $0) },
        ].first { !$0.isEmpty }
    }

    /// The keys alert subscriptions are filed under.
    enum Subject {
        static func code(_ canonical: String) -> String { "code:" + canonical }
        static func gtin(_ digits: String) -> String { "gtin:" + digits }
        static func seller(_ id: String) -> String { "seller:" + id }
        static func brand(_ id: String) -> String { "brand:" + id }
    }

    /// The messages `statement` (signed by `signers`, with index keys `keys`) causes, as (subscription, topic):
    /// each event subscription whose query it matches and whose subscriber may see it (21), and each alert
    /// subscription naming what an alert it raises is about. `registry` is the registry at the record.
    func messages(
        for statement: Statement, keys: [String], signers: [String], registry: Registry, only: String? = nil
    ) -> [(subscription: String, topic: String)] {
        var out: [(String, String)] = []
        func wanted(_ id: String) -> Bool { only == nil || only == id }
        switch statement {
        case .event(let event, _):
            // Most events match no subscription: only the keys' lookups, no array made.
            var candidates: [String] = []
            for id in everyEvent where wanted(id) { candidates.append(id) }
            for key in keys {
                guard let ids = eventsByKey[key] else { continue }
                for id in ids where wanted(id) { candidates.append(id) }
            }
            if !candidates.isEmpty {
                let policy = ReadPolicy(registry: registry)
                var seen = Set<String>()
                for id in candidates where seen.insert(id).inserted {
                    guard let active = byID[id], let query = active.query, Ledger.matches(event, query),
                        policy.sees(signers: signers, event: event, reader: active.reader)
                    else { continue }
                    out.append((id, Subscription.eventTopic))
                }
            }
            let stoppers = alertsBySubject.isEmpty ? [] : IntegrityRules.saleStoppers(event)
            if !stoppers.isEmpty {
                let kinds = stoppers.compactMap { AlertKind(rawValue: $0.rawValue.lowercased()) }
                out += alerts(kinds, about: productSubjects(IntegrityRules.stoppedObjects(event), registry), wanted)
            }
        case .verification(let verification, _) where verification.number > 1 && !alertsBySubject.isEmpty:
            out += alerts([.firstScanFailed], about: productSubjects([verification.product], registry), wanted)
        case .registry(let change, _) where !alertsBySubject.isEmpty:
            switch change.change {
            case .channelAuthorization(let brand, let channel, _, true, _):
                out += alerts(
                    [.authorizationWithdrawn], about: [Subject.seller(channel), Subject.brand(brand)], wanted)
            case .revocation(let participant, _, _):
                out += alerts([.revoked], about: [Subject.seller(participant), Subject.brand(participant)], wanted)
            default: break
            }
        default: break
        }
        return out
    }

    /// The `clone-suspected` messages for a clone of `code` (canonical) that a record raised.
    func cloneAlerts(_ code: String, registry: Registry) -> [(subscription: String, topic: String)] {
        alerts([.cloneSuspected], about: productSubjects([code], registry)) { _ in true }
    }

    /// The serials `event` names that a `clone-suspected` subscription watches (by code, GTIN or brand).
    func cloneWatched(_ event: EPCISEvent, registry: Registry) -> [String] {
        var codes: [String] = []
        event.forEachObject { object in
            let code = DigitalLink.canonical(object)
            guard !codes.contains(code), !cloneAlerts(code, registry: registry).isEmpty else { return }
            codes.append(code)
        }
        return codes
    }

    /// The `authorization-expired` messages of an authorisation whose window ended at `endMillis`: to each alert
    /// subscription naming its channel as seller or its brand as brand that existed by then.
    func expiry(of authorization: ChannelAuthorization, endMillis: Int64) -> [(subscription: String, topic: String)] {
        alerts(
            [.authorizationExpired],
            about: [Subject.seller(authorization.channel), Subject.brand(authorization.brand)]
        ) { byID[$0].map { $0.stored.createdMillis <= endMillis } ?? false }
    }

    /// The subject keys of alerts about products `codes` (canonical): each code, its GTIN, and the brand that owns
    /// the GTIN's company prefix.
    private func productSubjects(_ codes: [String], _ registry: Registry) -> [String] {
        var keys: [String] = []
        for code in codes {
            keys.append(Subject.code(code))
            if let gtin = DigitalLink.gtin(inCanonical: code) {
                keys.append(Subject.gtin(gtin))
                if let owner = registry.owner(ofGTIN: gtin) { keys.append(Subject.brand(owner.id)) }
            }
        }
        return keys
    }

    /// One message per alert subscription filed under any of `subjects` that asked for one of `kinds`, per kind.
    private func alerts(
        _ kinds: [AlertKind], about subjects: [String], _ wanted: (String) -> Bool
    ) -> [(String, String)] {
        var out: [(String, String)] = []
        var seen = Set<String>()
        for subject in subjects {
            for id in alertsBySubject[subject] ?? [] where wanted(id) {
                guard let active = byID[id] else { continue }
                for kind in kinds where active.kinds.contains(kind) && seen.insert(id + " " + kind.rawValue).inserted {
                    out.append((id, kind.topic))
                }
            }
        }
        return out
    }
}
