import EPCIS
import FuzzSupport
import Statements

/// A sealed event as a reader receives it: the input's first line is the sealed payload, each further line a
/// disclosure (`Specs/23-sealed-events.md`). Properties: a disclosure that parses re-encodes to a disclosure with
/// the same parts; opening refuses or succeeds, never traps; an opened event, sealed again and opened with all its
/// disclosures, is the same event; naming a field to erase (the last line as its path) refuses or succeeds, and
/// what it names is among the digests; the audit's byte reader (`SealedEvent.openedBytes`) agrees with the general
/// one wherever it reads, and reads the same with working memory kept from one input to the next (as the audit keeps
/// it from one record to the next) as with fresh.
@main
enum FuzzSealedEvent: FuzzTarget {
    /// The byte reader's working memory, kept across inputs (the fuzzer runs them one at a time).
    nonisolated(unsafe) static var kept = SealedEvent.ByteOpening()

    static func fuzz(_ input: FuzzInput) {
        let lines = input.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var disclosures: [Disclosure] = []
        for line in lines.dropFirst() {
            guard let disclosure = try? Disclosure(parsing: line) else { continue }
            let again = Disclosure(salt: disclosure.salt, name: disclosure.name, value: disclosure.value)
            let reread = try? Disclosure(parsing: again.encoded)
            require(
                reread?.value == disclosure.value && reread?.name == disclosure.name, "a disclosure does not re-encode")
            disclosures.append(disclosure)
        }
        // The audit's byte reader takes only what the general reader opens whole, and opens it to the same bytes.
        if let first = lines.first {
            let stored = Opening(disclosures: disclosures, decoys: []).stored
            let fast = SealedEvent.openedBytes(payload: Array(first.utf8), stored: stored)
            let reused = SealedEvent.openedBytes(payload: Array(first.utf8), stored: stored, using: &kept)
            require(
                fast?.event == reused?.event && fast?.disclosures == reused?.disclosures,
                "the byte reader reads otherwise with the working memory of earlier inputs")
            if let fast {
                let general = try? Statement.openedSealedEvent(
                    payload: Array(first.utf8), opening: Opening(disclosures: disclosures, decoys: []))
                require(
                    general.map { Array($0.serialized.utf8) == fast.event } == true,
                    "the byte reader opens what the general reader does not, or to other bytes")
            }
        }
        guard let first = lines.first, let payload = try? JSONValue(parsing: first) else { return }
        guard let opened = try? SealedEvent.open(payload, disclosures: disclosures), opened.members != nil else {
            return
        }
        if let path = lines.last,
            let named = try? SealedEvent.digests(of: path, payload: payload, disclosures: disclosures)
        {
            let known = Set(disclosures.map(\.digest))
            require(
                !named.isEmpty && named.allSatisfy(known.contains), "a field names digests it has no disclosure for")
        }
        var counter: UInt8 = 0
        guard
            let sealed = try? SealedEvent.seal(
                opened,
                random: {
                    counter &+= 1
                    return [UInt8](repeating: counter, count: 16)
                })
        else { return }
        let reopened = try? SealedEvent.open(sealed.payload, disclosures: sealed.disclosures)
        require(reopened != nil, "an opened event, sealed again, does not open")
    }
}
