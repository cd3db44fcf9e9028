import EPCIS
import GS1Identifiers
import LedgerRules
import LedgerStore
import Participants
import Statements
import TransparencyLog

/// One page of an event query: its events, and the sequence number the next page starts after (nil when there
/// are no more).
public struct EventPage: Sendable {
    public let events: [RecordedEvent]
    public let next: Int64?

    public init(events: [RecordedEvent], next: Int64?) {
        self.events = events
        self.next = next
    }
}

/// An EPCIS event as recorded: where it is in the log, who signed it, and when the ledger recorded it.
public struct RecordedEvent: Sendable {
    public let seq: Int64
    public let recordTimeMillis: Int64
    public let event: EPCISEvent
    let knownHash: String?
    /// The event's CBV 2.0 hash (computed when first asked for, unless known when read).
    public var hash: String { knownHash ?? event.hash() }
    /// The signers' verifier keys.
    public let signers: [String]
    /// The statement payload, exactly as signed.
    public let payload: [UInt8]
    /// Whether the record holds a sealed event (`Specs/23-sealed-events.md`): `event` is what its disclosures open.
    public let sealed: Bool
    /// A sealed event's opening, when the event was opened whole with it (read from the ledger).
    public let opening: Opening?

    init(
        seq: Int64, recordTimeMillis: Int64, event: EPCISEvent, knownHash: String?, signers: [String],
        payload: [UInt8], sealed: Bool = false, opening: Opening? = nil
    ) {
        (self.seq, self.recordTimeMillis, self.event, self.knownHash) = (seq, recordTimeMillis, event, knownHash)
        (self.signers, self.payload, self.sealed, self.opening) = (signers, payload, sealed || opening != nil, opening)
    }

    /// The event as EPCIS JSON: the payload of a plain event statement, a sealed one's opened event.
    public var eventJSON: JSONValue {
        get throws { sealed ? event.json : try JSONValue(parsing: payload) }
    }

    /// The event statement of record `seq` (a sealed one's opened with its `opening`), or nil when the record
    /// holds another kind of statement or an event that does not open.
    public init?(seq: Int64, record: LedgerRecord, opening: Opening? = nil) {
        let envelope = record.envelope
        guard let event = RecordedEvent.event(of: envelope, opening: opening) else { return nil }
        let sealed = envelope.payloadType == SealedEvent.payloadType
        self.init(
            seq: seq, recordTimeMillis: record.timeMillis, event: event, knownHash: nil,
            signers: envelope.signatures.map(\.keyid), payload: envelope.payload, sealed: sealed,
            opening: sealed ? opening : nil)
    }
}

extension RecordedEvent {
    /// The EPCIS event an event statement holds — a sealed one's opened with its `opening` — or nil.
    static func event(of envelope: Envelope, opening: Opening?) -> EPCISEvent? {
        switch envelope.payloadType {
        case Statement.eventPayloadType: try? Statement.event(payload: envelope.payload)
        case SealedEvent.payloadType:
            opening.flatMap { try? Statement.sealedEvent(payload: envelope.payload, opening: $0) }
        default: nil
        }
    }
}

/// An EPCIS-style event query (EPCIS 2.0 §8.2.7.1, SimpleEventQuery): every given condition must hold.
public struct EventQuery: Sendable {
    /// `MATCH_epc`: an identifier in `epcList` or `childEPCs`.
    public var matchEPC: [String] = []
    /// `MATCH_anyEPC`: also `parentID`, `inputEPCList`, `outputEPCList`.
    public var matchAnyEPC: [String] = []
    /// `MATCH_epcClass`: a class in a quantity list.
    public var matchEPCClass: [String] = []
    /// `EQ_bizStep`, `EQ_disposition`: CBV terms or URIs.
    public var bizStep: [String] = []
    public var disposition: [String] = []
    /// `EQ_bizLocation`, `EQ_readPoint`.
    public var bizLocation: [String] = []
    public var readPoint: [String] = []
    /// `eventType`, `EQ_action`.
    public var eventTypes: [EPCISEvent.Kind] = []
    public var actions: [EPCISEvent.Action] = []
    /// `GE_eventTime` (inclusive) and `LT_eventTime` (exclusive), microseconds since the epoch.
    public var fromTime: Int64?
    public var beforeTime: Int64?
    /// At most this many events (`perPage`), after skipping records before `afterSeq` (a page token).
    public var limit: Int = 1000
    public var afterSeq: Int64 = -1

    /// The most events one page holds.
    public static let maxPerPage = 10_000

    public init() {}
}

extension EventQuery {
    /// A query from EPCIS 2.0 SimpleEventQuery parameters (`Specs/11-trace.md` §3); a value may list
    /// alternatives separated by commas. Bad values are refused (`query.<name>`), unknown names as `query.parameter`.
    public init(parameters: [(String, String)]) throws {
        self.init()
        for (name, value) in parameters {
            let values = value.split(separator: ",").map { String($0) }
            func time(_ code: EngineCode) throws -> Int64 {
                guard let time = Timestamp.parseDateTime(value) else {
                    throw EngineError(code, "\(name) '\(value)' is not a date and time with a zone")
                }
                return time.micros
            }
            switch name {
            case "MATCH_epc": matchEPC += values
            case "MATCH_anyEPC": matchAnyEPC += values
            case "MATCH_epcClass": matchEPCClass += values
            case "EQ_bizStep": bizStep += values
            case "EQ_disposition": disposition += values
            case "EQ_bizLocation": bizLocation += values
            case "EQ_readPoint": readPoint += values
            case "eventType":
                eventTypes += try values.map {
                    guard let kind = EPCISEvent.Kind(rawValue: $0) else {
                        throw EngineError(.queryEventType, "'\($0)' is not an event type")
                    }
                    return kind
                }
            case "EQ_action":
                actions += try values.map {
                    guard let action = EPCISEvent.Action(rawValue: $0) else {
                        throw EngineError(.queryEQAction, "'\($0)' is not ADD, OBSERVE or DELETE")
                    }
                    return action
                }
            case "GE_eventTime": fromTime = try time(.queryGEEventTime)
            case "LT_eventTime": beforeTime = try time(.queryLTEventTime)
            case "perPage":
                guard let n = Int(value), (1...EventQuery.maxPerPage).contains(n) else {
                    throw EngineError(.queryPerPage, "perPage must be a number from 1 to \(EventQuery.maxPerPage)")
                }
                limit = n
            case "nextPageToken":
                // A token is a record's sequence number, so less than Int64.max: the query reads from token + 1.
                guard let n = Int64(value), (0..<Int64.max).contains(n) else {
                    throw EngineError(.queryNextPageToken, "nextPageToken '\(value)' is not one this ledger gave")
                }
                afterSeq = n
            default:
                throw EngineError(.queryParameter, "'\(name)' is not a supported query parameter")
            }
        }
    }

    /// The namespace of Threadline's EPCIS extension members.
    public static let namespace = "https://threadline.example/ns/"

    /// The most candidate events one page examines (`Ledger.page`).
    public static let maxExamined = 100_000

    /// The EPCISQueryDocument holding a page's events exactly as recorded, with `nextPageToken` when there may be
    /// more.
    public static func document(_ page: EventPage, creationDate: String) throws -> JSONValue {
        var results: [JSONValue.Member] = [
            .init("queryName", .string("SimpleEventQuery")),
            .init(
                "resultsBody",
                .object([.init("eventList", .array(try page.events.map { try $0.eventJSON }))])),
        ]
        if let next = page.next { results.append(.init("nextPageToken", .string(String(next)))) }
        // Where each event is in the log (an EPCIS extension member), so that a client can ask for its record and
        // inclusion proof; and, when some are sealed, what opens each (null for a plain one), so that it can
        // check each listed event against its signed record.
        results.append(.init("threadline:records", .array(page.events.map { .number(String($0.seq)) })))
        if page.events.contains(where: { $0.opening != nil }) {
            let openings = try page.events.map { event -> JSONValue in
                guard let opening = event.opening else { return .null }
                return try JSONValue(parsing: opening.stored)
            }
            results.append(.init("threadline:openings", .array(openings)))
        }
        return .object([
            .init(
                "@context",
                .array([
                    .string("https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"),
                    .object([.init("threadline", .string(EventQuery.namespace))]),
                ])),
            .init("type", .string("EPCISQueryDocument")), .init("schemaVersion", .string("2.0")),
            .init("creationDate", .string(creationDate)),
            .init("epcisBody", .object([.init("queryResults", .object(results))])),
        ])
    }
}

extension Ledger {
    /// Brings the derived index up to the log's end (it lags after `reindex` or on a ledger made before it).
    public func ensureIndexed() async throws {
        _ = try await catchUp()
    }

    /// Empties the derived index and rebuilds it from the log, `progress` telling how far it got.
    /// Returns the number of records indexed.
    public func reindex(progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> Int64 {
        try await store.resetIndex()
        // The whole log is read below: the store may start bringing it into memory now.
        await store.willReadAll()
        let size = try await store.size()
        var indexed: Int64 = 0
        while indexed < size {
            let end = min(size, indexed + 4096)
            let entries = try await indexEntries(indexed..<end)
            try await store.addIndex(entries, from: indexed, to: end)
            indexed = end
            progress(indexed, size)
        }
        return try await catchUp()
    }

    /// The EPCIS events at `seqs` (which must hold event statements), in the order given.
    public nonisolated func recordedEvents(_ seqs: [Int64]) async throws -> [RecordedEvent] {
        try await recordedEvents(seqs, try records(seqs, try await store.records(at: seqs)))
    }

    /// The events among the records `range` (plain and sealed; other statements are passed over), in record order.
    public nonisolated func recordedEvents(in range: Range<Int64>) async throws -> [RecordedEvent] {
        let seqs = Array(range)
        let events = zip(seqs, try records(seqs, try await store.records(range))).filter {
            $0.1.envelope.payloadType == Statement.eventPayloadType
                || $0.1.envelope.payloadType == SealedEvent.payloadType
        }
        return try await recordedEvents(events.map(\.0), events.map(\.1))
    }

    /// The records `bytes`, numbered `seqs`, parsed on all cores.
    private nonisolated func records(_ seqs: [Int64], _ bytes: [[UInt8]]) throws -> [LedgerRecord] {
        try Parallel.map(bytes) { bytes in
            Result { try LedgerRecord(bytes: bytes) }
        }.enumerated().map { i, result in
            guard let record = try? result.get() else {
                throw LedgerStoreError.corrupt("record \(seqs[i]) does not parse")
            }
            return record
        }
    }

    /// The events the records `records`, numbered `seqs`, hold; an error if one holds none.
    private nonisolated func recordedEvents(
        _ seqs: [Int64], _ records: [LedgerRecord]
    ) async throws
        -> [RecordedEvent]
    {
        // Only sealed records have openings: a journey of plain events costs no read more.
        let sealed = zip(seqs, records).filter { $0.1.envelope.payloadType == SealedEvent.payloadType }.map(\.0)
        let openings = try await store.openings(at: sealed).mapValues { try Opening(stored: $0) }
        let parsed = Parallel.map(Array(zip(seqs, records))) { seq, record -> Result<RecordedEvent, LedgerStoreError> in
            let envelope = record.envelope
            guard let event = RecordedEvent.event(of: envelope, opening: openings[seq]) else {
                return .failure(.corrupt("the index names record \(seq), which holds no EPCIS event that opens"))
            }
            return .success(
                RecordedEvent(
                    seq: seq, recordTimeMillis: record.timeMillis, event: event, knownHash: nil,
                    signers: envelope.signatures.map(\.keyid), payload: envelope.payload,
                    sealed: envelope.payloadType == SealedEvent.payloadType, opening: openings[seq]))
        }
        return try parsed.map { try $0.get() }
    }

    /// The events naming any of `keys` in the index, in record order.
    public nonisolated func events(naming keys: [String]) async throws -> [RecordedEvent] {
        let seqs = Array(Set(try await store.lookup(keys, from: 0).map(\.seq))).sorted()
        return try await recordedEvents(seqs)
    }

    /// The journey of the product `code` (a Digital Link, an EPC URN, or any identifier as events write it):
    /// its own events, those of the containers it travelled in while it was in them, and those of the materials
    /// it was made from, back to the raw material. `Specs/11-trace.md` §1.
    public nonisolated func trace(_ code: String) async throws -> Journey {
        try await trace(code, registry: try await currentRegistry())
    }

    /// The registry as of the log's end (catching the index up first).
    public func currentRegistry() async throws -> Registry {
        try await ensureIndexed()
        return registry
    }

    /// The journey of `code` with the participants of `registry` (which must cover the log).
    public nonisolated func trace(_ code: String, registry: Registry) async throws -> Journey {
        try await Ledger.journey(code, registry: registry) { key in try await self.events(naming: [key]) }
    }

    /// The participant who recorded `recorded`: the first of its signers that was a participant's valid key at
    /// its record.
    public static func recorder(of recorded: RecordedEvent, in registry: Registry) -> Participant? {
        recorded.signers.lazy.compactMap { key -> Participant? in
            if case .valid(let id) = registry.signer(key, at: recorded.seq) { return registry.participants[id] }
            return nil
        }.first
    }

    /// The trace algorithm over any source of events: `eventsNaming` gives the events under an index key, in
    /// record order (the ledger's index, or the records of an offline bundle).
    static func journey(
        _ code: String, registry: Registry, eventsNaming: (String) async throws -> [RecordedEvent]
    ) async throws -> Journey {
        let start = try DigitalLink.canonical(asking: code)
        struct Pending {
            let identifier: String
            let link: Journey.Link
            /// Only events in this time window (microseconds), for a container.
            let window: ClosedRange<Int64>?
        }
        var queue = [Pending(identifier: start, link: .product, window: nil)]
        var visited = Set<String>()
        var steps: [Int64: Journey.Step] = [:]
        while !queue.isEmpty {
            let next = queue.removeFirst()
            guard visited.insert(next.identifier + "|" + "\(String(describing: next.window))").inserted else {
                continue
            }
            let events = try await eventsNaming(IndexKey.object(next.identifier))
            for recorded in events {
                let event = recorded.event
                let time = event.eventTime.micros
                if let window = next.window, !window.contains(time) { continue }
                // A material's use in another transformation is another product's history.
                if case .material(_, let record) = next.link, event.kind == .transformation, recorded.seq != record,
                    (event.inputEPCList + event.inputQuantityList.map(\.epcClass)).map(DigitalLink.canonical)
                        .contains(next.identifier)
                {
                    continue
                }
                if steps[recorded.seq] == nil {
                    let participant = recorder(of: recorded, in: registry)
                    steps[recorded.seq] = Journey.Step(
                        seq: recorded.seq, event: event, hash: recorded.knownHash, participant: participant,
                        stage: Journey.Stage.of(event, roles: participant?.profile.roles ?? []), via: next.link,
                        sealed: recorded.sealed, erased: recorded.opening?.erased.count ?? 0)
                }
                let canonical = { (ids: [String]) in ids.map(DigitalLink.canonical) }
                // Packed into a container: follow the container while the product was in it.
                if event.kind == .aggregation || event.kind == .association, event.action != .delete,
                    let parent = event.parentID,
                    canonical(event.childEPCs + event.childQuantityList.map(\.epcClass)).contains(next.identifier)
                {
                    let parentID = DigitalLink.canonical(parent)
                    let unpacked = try await eventsNaming(IndexKey.object(parentID)).first {
                        $0.event.action == .delete && $0.event.parentID.map(DigitalLink.canonical) == parentID
                            && $0.event.eventTime.micros >= time
                            && ($0.event.childEPCs.isEmpty
                                || canonical($0.event.childEPCs).contains(next.identifier))
                    }
                    let end = min(unpacked?.event.eventTime.micros ?? Int64.max, next.window?.upperBound ?? Int64.max)
                    queue.append(
                        Pending(
                            identifier: parentID, link: .container(parentID, within: next.identifier),
                            window: time...max(time, end)))
                }
                // Made by a transformation: follow its inputs back, up to the transformation.
                if event.kind == .transformation,
                    canonical(event.outputEPCList + event.outputQuantityList.map(\.epcClass)).contains(next.identifier)
                {
                    for input in canonical(event.inputEPCList + event.inputQuantityList.map(\.epcClass)) {
                        queue.append(
                            Pending(
                                identifier: input, link: .material(input, record: recorded.seq),
                                window: Int64.min...time))
                    }
                }
            }
        }
        return Journey(code: code, identifier: start, steps: Array(steps.values))
    }

    /// The events that meet every condition of `query`, in record order (EPCIS 2.0 SimpleEventQuery).
    public func query(_ query: EventQuery) async throws -> [RecordedEvent] {
        try await page(query).events
    }

    /// One page of the events that meet every condition of `query` and that `visible` lets the reader see, in
    /// record order. A page ends when it holds `query.limit` events or when `EventQuery.maxExamined` candidates
    /// have been examined (so that a query that matches little costs a bounded amount of work per page); `next`
    /// says where the next page starts.
    public func page(
        _ query: EventQuery, visible: @Sendable (RecordedEvent) -> Bool = { _ in true }
    ) async throws -> EventPage {
        try await ensureIndexed()
        func keys(_ values: [String], _ key: (String) -> String) -> [String] { values.map(key) }
        // Candidates from the most selective indexed condition; the rest are checked on the events.
        let candidates: [[String]] = [
            keys(query.matchEPC + query.matchAnyEPC + query.matchEPCClass, IndexKey.object),
            keys(query.bizLocation, IndexKey.bizLocation), keys(query.readPoint, IndexKey.readPoint),
            keys(query.bizStep.map { CBV.bizStep.canonical($0) ?? $0 }, IndexKey.bizStep),
        ].filter { !$0.isEmpty }
        var seqs: [Int64]?
        for keys in candidates {
            let found = Set(try await store.lookup(keys, from: query.afterSeq + 1).map(\.seq))
            seqs = seqs.map { $0.filter(found.contains) } ?? Array(found)
        }
        var out: [RecordedEvent] = []
        /// Keeps the events of one chunk of candidates that meet the query; the page, once it is full.
        func keep(_ events: [RecordedEvent]) -> EventPage? {
            for recorded in events where Ledger.matches(recorded.event, query) && visible(recorded) {
                out.append(recorded)
                if out.count >= query.limit { return EventPage(events: out, next: recorded.seq) }
            }
            return nil
        }
        guard let seqs else {
            // No indexed condition: the candidates are the log's records, read in order from the page's start.
            let size = try await store.size()
            for first in stride(from: query.afterSeq + 1, to: size, by: 1000) {
                if first - (query.afterSeq + 1) >= EventQuery.maxExamined {
                    return EventPage(events: out, next: first - 1)
                }
                if let page = keep(try await recordedEvents(in: first..<min(size, first + 1000))) { return page }
            }
            return EventPage(events: out, next: nil)
        }
        let all = seqs.sorted()
        for chunk in stride(from: 0, to: all.count, by: 1000) {
            if chunk >= EventQuery.maxExamined { return EventPage(events: out, next: all[chunk - 1]) }
            if let page = keep(try await recordedEvents(Array(all[chunk..<min(all.count, chunk + 1000)]))) {
                return page
            }
        }
        return EventPage(events: out, next: nil)
    }

    static func matches(_ event: EPCISEvent, _ query: EventQuery) -> Bool {
        func any(_ wanted: [String], in have: [String]) -> Bool {
            wanted.isEmpty || !Set(wanted.map(DigitalLink.canonical)).isDisjoint(with: have.map(DigitalLink.canonical))
        }
        let time = event.eventTime.micros
        return any(query.matchEPC, in: event.epcList + event.childEPCs)
            && any(
                query.matchAnyEPC,
                in: event.epcList + event.childEPCs + event.inputEPCList + event.outputEPCList
                    + [event.parentID].compactMap { $0 })
            && any(
                query.matchEPCClass,
                in: (event.quantityList + event.childQuantityList + event.inputQuantityList + event.outputQuantityList)
                    .map(\.epcClass))
            && (query.bizStep.isEmpty || query.bizStep.contains { (CBV.bizStep.canonical($0) ?? $0) == event.bizStep })
            && (query.disposition.isEmpty
                || query.disposition.contains { (CBV.disposition.canonical($0) ?? $0) == event.disposition })
            && any(query.bizLocation, in: [event.bizLocation].compactMap { $0 })
            && any(query.readPoint, in: [event.readPoint].compactMap { $0 })
            && (query.eventTypes.isEmpty || query.eventTypes.contains(event.kind))
            && (query.actions.isEmpty || event.action.map(query.actions.contains) == true)
            && query.fromTime.map { time >= $0 } ?? true && query.beforeTime.map { time < $0 } ?? true
    }
}

extension Ledger {
    /// The integrity rules over every event of the ledger (`Specs/12-integrity.md`): how many events were checked,
    /// and the findings. One product's are its `assess(code).integrity`.
    public func checkIntegrity() async throws -> (checked: Int, findings: [IntegrityRules.Finding]) {
        let (steps, registry) = try await integritySteps()
        return (steps.count, IntegrityRules.check(steps, registry: registry) + (try await verificationFindings()))
    }

    /// `VERIFIED_MORE_THAN_ONCE` for each serial whose hidden code was entered correctly more than once (24 §7).
    private func verificationFindings() async throws -> [IntegrityRules.Finding] {
        let seqs = try await store.lookup([IndexKey.verifications], from: 0).map(\.seq).sorted()
        var byProduct: [String: [(seq: Int64, millis: Int64)]] = [:]
        for (seq, bytes) in zip(seqs, try await store.records(at: seqs)) {
            let envelope = try LedgerRecord(bytes: bytes).envelope
            guard
                case .verification(let verification, _) = try? Statement(
                    payloadType: envelope.payloadType, payload: envelope.payload)
            else { throw LedgerStoreError.corrupt("the index names record \(seq), which verifies no hidden code") }
            byProduct[verification.product, default: []].append((seq, verification.millis))
        }
        return byProduct.keys.sorted().compactMap { IntegrityRules.verifiedMoreThanOnce($0, byProduct[$0] ?? []) }
    }

    /// Every event with its recorder, and the registry.
    private func integritySteps() async throws -> ([IntegrityRules.Step], Registry) {
        let registry = try await currentRegistry()
        func recorder(_ signers: [String], _ seq: Int64) -> Participant? {
            signers.lazy.compactMap { key -> Participant? in
                if case .valid(let id) = registry.signer(key, at: seq) { return registry.participants[id] }
                return nil
            }.first
        }
        let size = try await store.size()
        var steps: [IntegrityRules.Step] = []
        for first in stride(from: Int64(0), to: size, by: 4096) {
            for recorded in try await recordedEvents(in: first..<min(size, first + 4096)) {
                steps.append(
                    .init(seq: recorded.seq, event: recorded.event, recorder: recorder(recorded.signers, recorded.seq)))
            }
        }
        return (steps, registry)
    }
}

extension Ledger {
    /// What the ledger says about the product `code`: its journey, the registry (`registry`, or the current one)
    /// and the integrity findings over the journey.
    public nonisolated func assess(_ code: String, registry: Registry? = nil) async throws -> Assessment {
        var snapshot = registry
        if snapshot == nil { snapshot = try await currentRegistry() }
        let registry = snapshot!  // set just above
        let journey = try await trace(code, registry: registry)
        // A serial's hidden code entered correctly more than once is a copied label (24 §7).
        let verifications =
            journey.identifier.contains("/21/") ? try await verifications(of: journey.identifier) : []
        return Assessment(journey: journey, registry: registry, verifications: verifications)
    }

    /// Checks a listing: may `seller` sell the product `code` as `claims` describe it, at `micros` (microseconds
    /// since the epoch; default now)? `Specs/13-listings.md`.
    public nonisolated func checkListing(
        code: String, seller: String, claims: [(key: String, value: String)] = [], registry: Registry? = nil,
        at micros: Int64 = Timestamp.nowMicros
    ) async throws -> ListingCheck.Result {
        try await assess(code, registry: registry).listing(seller: seller, claims: claims, at: micros)
    }
}
