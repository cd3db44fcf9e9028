import GS1Identifiers

/// The canonical Digital Links of the identifiers an event names, worked out once when the event is read. An event
/// names a handful, so they are searched in order (cheaper than hashing each lookup's string); past `indexedAfter`
/// a dictionary keeps lookups constant-time for events that list thousands.
package struct CanonicalForms: Sendable, Hashable {
    /// An identifier and its canonical form.
    private struct Entry: Sendable, Hashable {
        let identifier: String
        let form: String
    }

    private var entries: [Entry] = []
    /// Each identifier's position, once there are more than `indexedAfter`.
    private var positions: [String: Int]?

    static let indexedAfter = 16
    /// The room the first `add` makes: an event names an object, a place or two and its parties, so one buffer
    /// usually holds them all.
    static let initialCapacity = 6

    /// The canonical form of `identifier`, if it was added.
    package subscript(identifier: String) -> String? {
        if let positions { return positions[identifier].map { entries[$0].form } }
        let count = identifier.utf8.count
        for entry in entries where entry.identifier.utf8.count == count && entry.identifier == identifier {
            return entry.form
        }
        return nil
    }

    /// Records `form` as `identifier`'s canonical form (`identifier` must not have been added).
    mutating func add(_ identifier: String, _ form: String) {
        if entries.isEmpty { entries.reserveCapacity(CanonicalForms.initialCapacity) }
        entries.append(Entry(identifier: identifier, form: form))
        if positions != nil {
            positions![identifier] = entries.count - 1
        } else if entries.count > CanonicalForms.indexedAfter {
            positions = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.identifier, $0) })
        }
    }
}

/// The canonical forms of the places and parties events name, kept by a thread that reads many events from one
/// to the next: a batch's events name the same few over and over, and each is worked out once while they are few.
public struct PlaceForms: Sendable {
    /// Each identifier met, with its canonical form (nil: none).
    private var forms: [String: String?] = [:]

    /// The most kept; past it, those kept are forgotten and the count starts again, so a run of events that name
    /// a different place each costs a bounded table rather than a growing one.
    static let capacity = 256

    public init() {}

    /// How many are kept.
    var kept: Int { forms.count }

    /// `DigitalLink.canonicalURI(for: identifier)`, worked out only if not kept.
    mutating func form(of identifier: String) -> String? {
        if let known = forms[identifier] { return known }
        let form = DigitalLink.canonicalURI(for: identifier)
        if forms.count >= PlaceForms.capacity { forms.removeAll(keepingCapacity: true) }
        forms[identifier] = form
        return form
    }
}
