import ArgumentParser
import Foundation
import Provenance
import Threadline
import TransparencyLog

extension RootCommand {
    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a product's journey, stage by stage, from the ledger.",
            discussion: """
                CODE is a GS1 Digital Link (any domain), an EPC URN, or a GTIN with --lot or --serial. The \
                journey holds the product's own events, those of the cartons and pallets it travelled in while \
                it was in them, and those of the materials it was made from, back to the raw material — each \
                with who, what, where, when, certifications and its ledger record. Specs/11-trace.md.
                """)

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("The product's code.", valueName: "code"))
        var code: String

        @Option(help: ArgumentHelp("With a bare GTIN: the batch/lot.", valueName: "lot"))
        var lot: String?

        @Option(help: ArgumentHelp("With a bare GTIN: the serial number.", valueName: "serial"))
        var serial: String?

        @Flag(help: "One line per step (the consumer's view) instead of every detail.")
        var brief = false

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let identifier = try Trace.identifier(code, lot: lot, serial: serial)
                let ledger = try await options.open()
                let journey = try await ledger.trace(identifier)
                let (registry, _) = try await ledger.registry()
                if json { return try Output.json(JourneyJSON(journey)) }
                let lines = brief ? JourneyText.brief(journey) : JourneyText.lines(journey, registry: registry)
                for line in lines { Output.line(line) }
                if journey.steps.isEmpty { throw ExitCode(CommandFailure.notFound) }
            }
        }

        /// The identifier to trace: a code as given, or a GTIN made precise with a lot or serial.
        static func identifier(_ code: String, lot: String?, serial: String?) throws -> String {
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            guard lot != nil || serial != nil else {
                if trimmed.contains(":") { return trimmed }
                throw CommandFailure(
                    CommandFailure.inputRefused,
                    "a bare GTIN names a product class, not a product: add --lot or --serial")
            }
            let gtin = try GTIN(trimmed)
            return DigitalLink(.product(gtin: gtin, lot: lot, serial: serial)).uri
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find recorded EPCIS events with EPCIS query parameters.",
            discussion: """
                Each PARAM is NAME=VALUE; a value may list alternatives separated by commas. Names: MATCH_epc, \
                MATCH_anyEPC, MATCH_epcClass, EQ_bizStep, EQ_disposition, EQ_bizLocation, EQ_readPoint, \
                eventType, EQ_action, GE_eventTime, LT_eventTime, perPage, nextPageToken. Prints one line per \
                event (record, time, type, business step, what); --json prints an EPCISQueryDocument holding \
                the events exactly as recorded. Specs/11-trace.md §3.
                """)

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("Query parameters, NAME=VALUE.", valueName: "param"))
        var parameters: [String] = []

        @Flag(help: "Print an EPCISQueryDocument.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let query = try Events.query(parameters)
                let ledger = try await options.open()
                let found = try await ledger.query(query)
                if json {
                    let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
                    return Output.line(try EventQuery.document(found, limit: query.limit, creationDate: now).serialized)
                }
                for recorded in found { Output.line(JourneyText.summary(recorded)) }
            }
        }

        static func query(_ parameters: [String]) throws -> EventQuery {
            let pairs = try parameters.map { parameter -> (String, String) in
                guard let equals = parameter.firstIndex(of: "=") else {
                    throw ValidationError("'\(parameter)' is not NAME=VALUE")
                }
                return (String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...]))
            }
            do { return try EventQuery(parameters: pairs) } catch let error as FormatError {
                throw ValidationError(error.reason)
            }
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the derived index (identifiers, event hashes, registry) from the log.",
            discussion: "The log is the truth; the index only speeds up queries. Shows progress on a terminal.")

        @OptionGroup var options: LedgerOptions

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let size = try await ledger.reindex { done, total in Output.progress("indexing", done, total) }
                Output.line("indexed \(size) records")
            }
        }
    }
}

/// The journey as `trace --json` prints it (`Specs/11-trace.md` §2).
struct JourneyJSON: Encodable {
    struct Step: Encodable {
        let seq: Int64
        let hash: String
        let stage: String
        let eventType: String
        let action: String?
        let bizStep: String?
        let disposition: String?
        let eventTime: String
        let eventTimeZoneOffset: String
        let participant: String?
        let participantName: String?
        let roles: [String]
        let readPoint: String?
        let bizLocation: String?
        let what: [String]
        let certifications: [String]
        let via: String
    }
    let code: String
    let identifier: String
    let recalled: Bool
    let steps: [Step]

    init(_ journey: Journey) {
        code = journey.code
        identifier = journey.identifier
        recalled = journey.isRecalled
        steps = journey.steps.map { step in
            let e = step.event
            return Step(
                seq: step.seq, hash: step.hash, stage: step.stage.rawValue, eventType: e.kind.rawValue,
                action: e.action?.rawValue, bizStep: e.bizStep, disposition: e.disposition,
                eventTime: Timestamp.format(millis: e.eventTime.millis), eventTimeZoneOffset: e.eventTimeZoneOffset,
                participant: step.participant?.id, participantName: step.participant?.profile.name,
                roles: step.participant?.profile.roles.map(\.rawValue) ?? [], readPoint: e.readPoint,
                bizLocation: e.bizLocation, what: JourneyText.what(e), certifications: e.certificationInfo,
                via: JourneyText.via(step.via))
        }
    }
}

/// The journey in words (`Specs/11-trace.md` §2).
enum JourneyText {
    static func lines(_ journey: Journey, registry: Registry) -> [String] {
        var out = ["Journey of \(journey.identifier): \(journey.steps.count) steps"]
        if journey.isRecalled { out.append("!! RECALLED: a recorded event marks this product recalled") }
        var places: [String: String] = [:]
        for p in registry.participants.values {
            for gln in p.profile.locations { places["https://id.gs1.org/414/" + gln] = p.profile.name }
        }
        var stage: Journey.Stage?
        for step in journey.steps {
            if step.stage != stage {
                out.append("")
                out.append(step.stage.rawValue.uppercased())
                stage = step.stage
            }
            let e = step.event
            let who =
                step.participant.map {
                    "\($0.profile.name) (\($0.id), \($0.profile.roles.map(\.rawValue).joined(separator: ", ")))"
                }
                ?? "an unregistered key"
            out.append("  \(localTime(e))  \(e.bizStepTerm ?? e.bizStep ?? e.kind.rawValue) — \(who)")
            for line in what(e, compact: true) { out.append("    what       " + line) }
            for place in [e.bizLocation, e.readPoint].compactMap({ $0 }).uniqued() {
                let canonical = IndexKey.canonical(place)
                out.append("    where      \(canonical)" + (places[canonical].map { " (\($0))" } ?? ""))
            }
            if let disposition = e.dispositionTerm ?? e.disposition { out.append("    status     \(disposition)") }
            for set in e.persistentDispositionSet {
                out.append("    marked     \(CBV.disposition.term(of: set) ?? set)")
            }
            for info in e.certificationInfo { out.append("    certified  \(info)") }
            if step.via != .product { out.append("    via        \(via(step.via))") }
            out.append("    record     \(step.seq)  \(step.hash)")
        }
        return out
    }

    /// One line per step, grouped by stage: what a consumer reads.
    static func brief(_ journey: Journey) -> [String] {
        var out = ["Journey of \(journey.identifier): \(journey.steps.count) recorded steps"]
        if journey.isRecalled { out.append("!! RECALLED: a recorded event marks this product recalled") }
        var stage: Journey.Stage?
        for step in journey.steps {
            if step.stage != stage {
                out.append(step.stage.rawValue.uppercased())
                stage = step.stage
            }
            let e = step.event
            let who = step.participant?.profile.name ?? "an unregistered key"
            let what = JourneyText.what(e, compact: true).map(shortened).joined(separator: "; ")
            let step = (e.bizStepTerm ?? e.kind.rawValue).padding(toLength: 15, withPad: " ", startingAt: 0)
            out.append(
                "  \(localTime(e).prefix(16)) \(e.eventTimeZoneOffset)  \(step) \(who): \(what)  #\(stepSeq(journey, e))"
            )
            let marks =
                e.certificationInfo.map { "certified " + $0 }
                + e.persistentDispositionSet.map {
                    "marked " + (CBV.disposition.term(of: $0) ?? $0)
                }
            if !marks.isEmpty { out.append(String(repeating: " ", count: 41) + marks.joined(separator: "; ")) }
        }
        return out
    }

    private static func stepSeq(_ journey: Journey, _ event: EPCISEvent) -> Int64 {
        journey.steps.first { $0.event == event }?.seq ?? -1
    }

    /// Digital Links shortened to what a person reads: `lot X`, `serial X`, `unit SSCC`.
    static func shortened(_ text: String) -> String {
        var out = text
        for (marker, label) in [("/10/", "lot "), ("/21/", "serial "), ("/00/", "unit ")] {
            while let range = out.range(of: "https://id.gs1.org/") {
                let rest = out[range.upperBound...]
                let end = rest.firstIndex(where: { $0 == " " || $0 == "," || $0 == ";" }) ?? out.endIndex
                let uri = String(out[range.lowerBound..<end])
                guard let mark = uri.range(of: marker) else { break }
                out.replaceSubrange(range.lowerBound..<end, with: label + uri[mark.upperBound...])
            }
        }
        return out
    }

    /// The event time in its own zone: `2026-07-01 08:00:00 +05:30`.
    static func localTime(_ event: EPCISEvent) -> String {
        let offset = Int64(Timestamp.parseOffset(event.eventTimeZoneOffset) ?? 0)
        let local = Timestamp.format(millis: event.eventTime.millis + offset * 60_000)
        return local.prefix(10) + " " + local.dropFirst(11).prefix(8) + " " + event.eventTimeZoneOffset
    }

    /// What the event is about; `compact` shortens long lists to their first identifier and a count.
    static func what(_ e: EPCISEvent, compact: Bool = false) -> [String] {
        func shorten(_ list: [String]) -> [String] {
            compact && list.count > 3 ? [list[0] + " and \(list.count - 1) more"] : list
        }
        func ids(_ list: [String]) -> String { shorten(list.map(IndexKey.canonical)).joined(separator: ", ") }
        func quantities(_ list: [EPCISEvent.QuantityElement]) -> [String] {
            list.map { q in
                let amount =
                    q.quantity.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) } ?? "some"
                return "\(amount)\(q.uom.map { " " + $0 } ?? "") of \(IndexKey.canonical(q.epcClass))"
            }
        }
        var out: [String] = []
        switch e.kind {
        case .aggregation, .association:
            let children = shorten(e.childEPCs.map(IndexKey.canonical)) + quantities(e.childQuantityList)
            let verb = e.action == .delete ? "taken out of" : e.action == .add ? "put into" : "in"
            out.append(
                "\(children.isEmpty ? "everything" : children.joined(separator: ", ")) \(verb) \(e.parentID.map(IndexKey.canonical) ?? "?")"
            )
        case .transformation:
            let inputs = shorten(e.inputEPCList.map(IndexKey.canonical)) + quantities(e.inputQuantityList)
            let outputs = shorten(e.outputEPCList.map(IndexKey.canonical)) + quantities(e.outputQuantityList)
            out.append("from " + inputs.joined(separator: ", "))
            out.append("made " + outputs.joined(separator: ", "))
        default:
            if !e.epcList.isEmpty { out.append(ids(e.epcList)) }
            out += quantities(e.quantityList)
        }
        return out
    }

    static func via(_ link: Journey.Link) -> String {
        switch link {
        case .product: "the product itself"
        case .container(let id, let within): "\(id), which carried \(within)"
        case .material(let id, let record): "\(id), a material of the transformation in record \(record)"
        }
    }

    /// One line per event for `events`.
    static func summary(_ r: RecordedEvent) -> String {
        let e = r.event
        return "\(r.seq)  \(Timestamp.format(millis: e.eventTime.millis))  \(e.kind.rawValue)  "
            + "\(e.bizStepTerm ?? e.bizStep ?? "-")  " + what(e).joined(separator: "; ")
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
