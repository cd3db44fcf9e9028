import GS1Identifiers

/// The canonical Digital Links of the identifiers an event names, worked out once when the event is read. An event
/// names a handful, so they are searched in order (cheaper than hashing each lookup's string); past `indexedAfter`
/// a dictionary keeps lookups constant-time for events that list thousands.
package struct CanonicalForms: Sendable, Hashable {
    private var identifiers: [String] = []
    private var forms: [String] = []
    /// Each identifier's position, once there are more than `indexedAfter`.
    private var positions: [String: Int]?

    static let indexedAfter = 16

    /// The canonical form of `identifier`, if it was added.
    package subscript(identifier: String) -> String? {
        if let positions { return positions[identifier].map { forms[$0] } }
        let count = identifier.utf8.count
        for i in identifiers.indices where identifiers[i].utf8.count == count && identifiers[i] == identifier {
            return forms[i]
        }
        return nil
    }

    /// Records `form` as `identifier`'s canonical form (`identifier` must not have been added).
    mutating func add(_ identifier: String, _ form: String) {
        identifiers.append(identifier)
        forms.append(form)
        if positions != nil {
            positions![identifier] = identifiers.count - 1
        } else if identifiers.count > CanonicalForms.indexedAfter {
            positions = Dictionary(uniqueKeysWithValues: zip(identifiers, identifiers.indices))
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
