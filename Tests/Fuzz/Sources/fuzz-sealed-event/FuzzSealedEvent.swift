import EPCIS
import FuzzSupport
import Statements

/// A sealed event as a reader receives it: the input's first line is the sealed payload, each further line a
/// disclosure (`Specs/23-sealed-events.md`). Properties: a disclosure that parses re-encodes to a disclosure with
/// the same parts; opening refuses or succeeds, never traps; an opened event, sealed again and opened with all its
/// disclosures, is the same event.
@main
enum FuzzSealedEvent: FuzzTarget {
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
        guard let first = lines.first, let payload = try? JSONValue(parsing: first) else { return }
        guard let opened = try? SealedEvent.open(payload, disclosures: disclosures), opened.members != nil else {
            return
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
