extension EventHash {
    /// The standard fields an event of the common shape may have, in the order the pre-hash writes them
    /// (CBV 2.0 §8.9.2): each a string, a list of strings, or a place (an object with only an `id`).
    package enum CommonField: Int, CaseIterable {
        case eventTime, eventTimeZoneOffset, certificationInfo, parentID, epcList, inputEPCList, childEPCs
        case outputEPCList, action, transformationID, bizStep, disposition, readPoint, bizLocation

        /// The JSON member name, which is also the name the pre-hash writes.
        package var name: String { EventHash.commonFieldNames[rawValue] }

        /// How the field's value is written.
        var shape: Shape {
            switch self {
            case .certificationInfo: .strings
            case .epcList, .inputEPCList, .childEPCs, .outputEPCList: .epcs
            case .readPoint, .bizLocation: .place
            default: .string
            }
        }

        enum Shape {
            /// One string: `name=value`.
            case string
            /// A string or a list of them: `name=value` for each, sorted.
            case strings
            /// A list of EPCs: `name`, then `epc=value` for each, sorted.
            case epcs
            /// An object with only an `id`: `name`, then `id=value`.
            case place
        }
    }

    static let commonFieldNames = [
        "eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID", "epcList", "inputEPCList", "childEPCs",
        "outputEPCList", "action", "transformationID", "bizStep", "disposition", "readPoint", "bizLocation",
    ]
    /// What the pre-hash of the common shape does with each standard field (`EPCISValidator.Field`, by raw value):
    /// writes it as a common field, leaves it out (the fields the hash ignores, the context, and the type, written
    /// first), or cannot write it (nil, nil).
    static let commonShapeOfField: [(field: CommonField?, skipped: Bool)] = EPCISValidator.Field.allCases.map {
        field in
        (
            CommonField.allCases.first { $0.name == field.name },
            ignoredFields.union(["@context", "type"]).contains(field.name)
        )
    }

    /// Writes the pre-hash (after `eventType=<type>`) of an event of the common shape — standard fields only, with
    /// typed references but no quantities, sensors, master data or extensions; values expanded by the context's
    /// prefixes — straight from its members, exactly as the general algorithm (`Node`) would write it, and returns
    /// true; returns false and leaves `out` as it was for any other event. Most events have this shape, and this
    /// spares them building the XML-shaped tree; `EventHashShapeTests` checks the two agree.
    static func writeCommonShape(
        _ members: [JSONValue.Member], context: JSONLDContext, ignoring: Set<String>,
        canonicalForms: CanonicalForms = CanonicalForms(), validated: Validated? = nil, into out: inout [UInt8]
    ) -> Bool {
        guard ignoring.isEmpty else { return false }
        // What validation found is written as it is only where no declared prefix could expand a value.
        let validated = context.prefixes.isEmpty ? validated : nil
        // Which member holds each field (−1: none), and each list of typed references.
        var positions = [Int](repeating: -1, count: CommonField.allCases.count)
        var listPositions = [Int](repeating: -1, count: ReferenceList.allCases.count)
        for (position, member) in members.enumerated() {
            // Standard fields are told apart by name without hashing it; any other member is not of this shape.
            guard let standard = EPCISValidator.Field(name: member.key) else { return false }
            let shape = commonShapeOfField[standard.rawValue]
            if let field = shape.field {
                positions[field.rawValue] = position
            } else if let list = ReferenceList(standard) {
                listPositions[list.rawValue] = position
            } else if !shape.skipped {
                return false
            }
        }
        let mark = out.count
        for field in CommonField.allCases where positions[field.rawValue] >= 0 {
            let value = members[positions[field.rawValue]].value
            if let validated, validated.write(field, value, into: &out) { continue }
            guard write(field, value, context, canonicalForms, into: &out) else {
                out.removeSubrange(mark...)
                return false
            }
        }
        var lists: [(ReferenceList, [Reference])] = []
        for list in ReferenceList.allCases where listPositions[list.rawValue] >= 0 {
            guard let references = list.references(in: members[listPositions[list.rawValue]].value) else {
                out.removeSubrange(mark...)
                return false
            }
            lists.append((list, references))
        }
        if !lists.isEmpty { writeReferenceLists(lists, context, canonicalForms, into: &out) }
        return true
    }

    /// A business transaction, source or destination as written: its type, if any, and its value.
    package typealias Reference = (type: String?, value: String)

    /// The lists of typed references. The general algorithm writes them after the ordered fields, with the other
    /// fields it does not order (of which the common shape has none), sorted.
    package enum ReferenceList: Int, CaseIterable {
        case bizTransactionList, sourceList, destinationList

        init?(_ field: EPCISValidator.Field) {
            switch field {
            case .bizTransactionList: self = .bizTransactionList
            case .sourceList: self = .sourceList
            case .destinationList: self = .destinationList
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .bizTransactionList: "bizTransactionList"
            case .sourceList: "sourceList"
            case .destinationList: "destinationList"
            }
        }

        /// The member that holds an entry's value.
        package var entry: String {
            switch self {
            case .bizTransactionList: "bizTransaction"
            case .sourceList: "source"
            case .destinationList: "destination"
            }
        }

        /// The namespace of a bare term as an entry's type.
        var typePrefix: String {
            self == .bizTransactionList ? Node.Vocabulary.bizTransactionType : Node.Vocabulary.sourceDestinationType
        }

        /// The entries of a list of this kind, or nil when it is not of the common shape: an array of objects that
        /// have the entry's member and at most a `type`, each a string that is not blank.
        func references(in value: JSONValue) -> [Reference]? {
            guard case .array(let elements) = value else { return nil }
            var references: [Reference] = []
            for element in elements {
                guard case .object(let members) = element, (1...2).contains(members.count) else { return nil }
                var reference: (type: String?, value: String?) = (nil, nil)
                for member in members {
                    guard case .string(let text) = member.value, !text.trimmingASCIIWhitespace().isEmpty else {
                        return nil
                    }
                    if member.key == "type", reference.type == nil {
                        reference.type = text
                    } else if member.key == entry, reference.value == nil {
                        reference.value = text
                    } else {
                        return nil
                    }
                }
                guard let text = reference.value else { return nil }
                references.append((reference.type, text))
            }
            return references
        }
    }

    /// Writes lists of typed references, each as its name and its entries (`type=…` first, then the value; the
    /// entries sorted), the lists sorted; an empty list writes nothing. Values must not be blank.
    package static func writeReferenceLists(
        _ lists: [(ReferenceList, [Reference])], _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        var segments = Segments(start: out.count)
        for (list, references) in lists where !references.isEmpty {
            out += list.name.utf8
            var entries = Segments(start: out.count)
            for reference in references {
                if let type = reference.type {
                    write("type", type, term: list.typePrefix, context, canonicalForms, into: &out)
                }
                write(list.entry, reference.value, context, canonicalForms, into: &out)
                entries.end(at: out.count)
            }
            entries.sort(&out)
            segments.end(at: out.count)
        }
        segments.sort(&out)
    }

    /// What the validator found of an event, which spares the pre-hash working it out again. For a valid event,
    /// `eventTime` is its time; `action` and `eventTimeZoneOffset` are as EPCIS allows (neither a number, a CBV 1.x
    /// URN nor a GS1 key, so written as they are); and a bare `bizStep` or `disposition` is a CBV term (so its URI
    /// is the vocabulary's prefix and the term, with nothing to canonicalise).
    package struct Validated {
        let eventTime: Timestamp.DateTime

        package init(eventTime: Timestamp.DateTime) {
            self.eventTime = eventTime
        }

        /// Writes `field` as the general writer would, and returns true; false for a field or value it leaves to
        /// the general writer.
        package func write(_ field: CommonField, _ value: JSONValue, into out: inout [UInt8]) -> Bool {
            guard case .string(var text) = value else { return false }
            let prefix: String
            switch field {
            case .eventTime:
                out += "eventTime=".utf8
                Timestamp.write(millis: eventTime.millis, into: &out)
                return true
            case .action, .eventTimeZoneOffset: prefix = ""
            case .bizStep: prefix = Node.Vocabulary.bizStep
            case .disposition: prefix = Node.Vocabulary.disposition
            default: return false
            }
            return text.withUTF8 { bytes in
                // An empty value, or a term with a colon (a URI, a URN, a CURIE), is left to the general writer.
                guard !bytes.isEmpty, prefix.isEmpty || !bytes.contains(UInt8(ascii: ":")) else { return false }
                out += field.name.utf8
                out.append(UInt8(ascii: "="))
                out += prefix.utf8
                out += bytes
                return true
            }
        }
    }

    /// Writes one field; false when its value is not of the field's common shape.
    private static func write(
        _ field: CommonField, _ value: JSONValue, _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) -> Bool {
        /// The strings of `value`, a string or an array of strings; nil for other values.
        func texts(_ value: JSONValue) -> [JSONValue]? {
            switch value {
            case .string: [value]
            case .array(let elements) where elements.allSatisfy({ $0.stringValue != nil }): elements
            default: nil
            }
        }
        switch (field.shape, value) {
        case (.string, .string(let text)):
            write(field, text, context, canonicalForms, into: &out)
        case (.strings, _):
            guard let texts = texts(value) else { return false }
            writeSorted(field.name, texts.lazy.map { $0.stringValue! }, context, canonicalForms, into: &out)
        case (.epcs, .array):
            guard let texts = texts(value) else { return false }
            writeEPCs(field, texts.lazy.map { $0.stringValue! }, context, canonicalForms, into: &out)
        case (.place, .object(let members)):
            guard members.count == 1, members[0].key == "id", case .string(let id) = members[0].value else {
                return false
            }
            writePlace(field, id: id, context, canonicalForms, into: &out)
        default:
            return false
        }
        return true
    }

    /// Writes a field of the `.string` shape from its text as written.
    package static func write(
        _ field: CommonField, _ text: String, _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        switch field {
        case .bizStep: write(field.name, text, term: Node.Vocabulary.bizStep, context, canonicalForms, into: &out)
        case .disposition:
            write(field.name, text, term: Node.Vocabulary.disposition, context, canonicalForms, into: &out)
        default: write(field.name, text, time: field == .eventTime, context, canonicalForms, into: &out)
        }
    }

    /// Writes a field of the `.epcs` shape from its EPCs as written: the list's name, then `epc=value` for each,
    /// sorted; nothing at all when no entry is written.
    package static func writeEPCs(
        _ field: CommonField, _ epcs: some Sequence<String>, _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        let mark = out.count
        out += field.name.utf8
        let named = out.count
        writeSorted("epc", epcs, context, canonicalForms, into: &out)
        if out.count == named { out.removeSubrange(mark...) }
    }

    /// Writes a field of the `.place` shape from its `id` as written: the name, then `id=value`; nothing for a
    /// blank id.
    package static func writePlace(
        _ field: CommonField, id: String, _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        guard !id.trimmingASCIIWhitespace().isEmpty else { return }
        out += field.name.utf8
        write("id", id, context, canonicalForms, into: &out)
    }

    /// `name=value` for each of `texts`, sorted (blank ones left out).
    package static func writeSorted(
        _ name: String, _ texts: some Sequence<String>, _ context: JSONLDContext, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        var segments = Segments(start: out.count)
        for text in texts {
            write(name, text, context, canonicalForms, into: &out)
            segments.end(at: out.count)
        }
        segments.sort(&out)
    }

    /// `name=value` for a string value, nothing for a blank one, as the general writer writes a value: its CURIE
    /// expanded by `context`, then a bare term given the namespace `term`, then its canonical form (a time if
    /// `time`).
    private static func write(
        _ name: String, _ text: String, term: String? = nil, time: Bool = false, _ context: JSONLDContext,
        _ canonicalForms: CanonicalForms, into out: inout [UInt8]
    ) {
        var value = context.expandedValue(text)
        if let term { value = expandedTerm(value, term) }
        let trimmed = value.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return }
        out += name.utf8
        out.append(UInt8(ascii: "="))
        if time {
            writeUTCTime(trimmed, into: &out)
        } else {
            writeCanonical(trimmed, into: &out, canonicalForms: canonicalForms)
        }
    }

    /// A bare CBV term as the URI the JSON-LD context maps it to (as `Node.expand` does).
    private static func expandedTerm(_ text: String, _ prefix: String) -> String {
        text.isEmpty || text.utf8.contains(UInt8(ascii: ":")) ? text : prefix + text
    }
}
