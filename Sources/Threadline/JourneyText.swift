import EPCIS
import GS1Identifiers
import LedgerRules
import Participants
import TransparencyLog

/// The journey in words (`Specs/11-trace.md` §2).
public enum JourneyText {
    public static func lines(_ journey: Journey, registry: Registry) -> [String] {
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
            out.append("  \(JourneyWords.localTime(e))  \(e.bizStepTerm ?? e.bizStep ?? e.kind.rawValue) — \(who)")
            for line in JourneyWords.what(e, compact: true) { out.append("    what       " + line) }
            for place in [e.bizLocation, e.readPoint].compactMap({ $0 }).uniqued() {
                let canonical = DigitalLink.canonical(place)
                out.append("    where      \(canonical)" + (places[canonical].map { " (\($0))" } ?? ""))
            }
            if let disposition = e.dispositionTerm ?? e.disposition { out.append("    status     \(disposition)") }
            for set in e.persistentDispositionSet {
                out.append("    marked     \(CBV.disposition.term(of: set) ?? set)")
            }
            for info in e.certificationInfo { out.append("    certified  \(info)") }
            if step.via != .product { out.append("    via        \(JourneyWords.via(step.via))") }
            if step.erased > 0 { out.append("    erased     \(step.erased) fields (Specs/23 §7)") }
            out.append("    record     \(step.seq)  \(step.hash)")
        }
        return out
    }

    /// One line per step, grouped by stage: what a consumer reads.
    public static func brief(_ journey: Journey) -> [String] {
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
            let what = JourneyWords.what(e, compact: true).map(JourneyWords.shortened).joined(separator: "; ")
            let step = (e.bizStepTerm ?? e.kind.rawValue).padding(toLength: 15, withPad: " ", startingAt: 0)
            out.append(
                "  \(JourneyWords.localTime(e).prefix(16)) \(e.eventTimeZoneOffset)  \(step) \(who): \(what)  #\(stepSeq(journey, e))"
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

    /// One line per event for `events`.
    public static func summary(_ r: RecordedEvent) -> String {
        let e = r.event
        return "\(r.seq)  \(Timestamp.format(millis: e.eventTime.millis))  \(e.kind.rawValue)  "
            + "\(e.bizStepTerm ?? e.bizStep ?? "-")  " + JourneyWords.what(e).joined(separator: "; ")
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
