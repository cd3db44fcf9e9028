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
