extension EventHash {
    /// The standard fields an event of the common shape may have, in the order the pre-hash writes them
    /// (CBV 2.0 §8.9.2): each a string, a list of strings, or a place (an object with only an `id`).
    enum CommonField: Int, CaseIterable {
        case eventTime, eventTimeZoneOffset, certificationInfo, parentID, epcList, inputEPCList, childEPCs
        case outputEPCList, action, transformationID, bizStep, disposition, readPoint, bizLocation

        /// The JSON member name, which is also the name the pre-hash writes.
        var name: String { EventHash.commonFieldNames[rawValue] }

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

    /// Writes the pre-hash (after `eventType=<type>`) of an event of the common shape — standard fields only, no
    /// quantities, sensors, typed references, master data, extensions or CURIE prefixes — straight from its
    /// members, exactly as the general algorithm (`Node`) would write it, and returns true; returns false and
    /// leaves `out` as it was for any other event. Most events have this shape, and this spares them building
    /// the XML-shaped tree; `EventHashTests` checks the two agree.
    static func writeCommonShape(
        _ members: [JSONValue.Member], context: JSONLDContext, ignoring: Set<String>,
        canonicalForms: CanonicalForms = CanonicalForms(), validated: Validated? = nil, into out: inout [UInt8]
    ) -> Bool {
        guard context.prefixes.isEmpty, ignoring.isEmpty else { return false }
        // Which member holds each field (−1: none).
        var positions = [Int](repeating: -1, count: CommonField.allCases.count)
        for (position, member) in members.enumerated() {
            // Standard fields are told apart by name without hashing it; any other member is not of this shape.
            guard let standard = EPCISValidator.Field(name: member.key) else { return false }
            let shape = commonShapeOfField[standard.rawValue]
            if let field = shape.field {
                positions[field.rawValue] = position
            } else if !shape.skipped {
                return false
            }
        }
        let mark = out.count
        for field in CommonField.allCases where positions[field.rawValue] >= 0 {
            let value = members[positions[field.rawValue]].value
            if let validated, validated.write(field, value, into: &out) { continue }
            guard write(field, value, canonicalForms, into: &out) else {
                out.removeSubrange(mark...)
                return false
            }
        }
        return true
    }

    /// What the validator found of an event, which spares the pre-hash working it out again. For a valid event,
    /// `eventTime` is its time; `action` and `eventTimeZoneOffset` are as EPCIS allows (neither a number, a CBV 1.x
    /// URN nor a GS1 key, so written as they are); and a bare `bizStep` or `disposition` is a CBV term (so its URI
    /// is the vocabulary's prefix and the term, with nothing to canonicalise).
    struct Validated {
        let eventTime: Timestamp.DateTime

        /// Writes `field` as the general writer would, and returns true; false for a field or value it leaves to
        /// the general writer.
        func write(_ field: CommonField, _ value: JSONValue, into out: inout [UInt8]) -> Bool {
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
        _ field: CommonField, _ value: JSONValue, _ canonicalForms: CanonicalForms, into out: inout [UInt8]
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
            write(field, text, canonicalForms, into: &out)
        case (.strings, _):
            guard let texts = texts(value) else { return false }
            writeSorted(field.name, texts.lazy.map { $0.stringValue! }, field, canonicalForms, into: &out)
        case (.epcs, .array):
            guard let texts = texts(value) else { return false }
            writeEPCs(field, texts.lazy.map { $0.stringValue! }, canonicalForms, into: &out)
        case (.place, .object(let members)):
            guard members.count == 1, members[0].key == "id", case .string(let id) = members[0].value else {
                return false
            }
            writePlace(field, id: id, canonicalForms, into: &out)
        default:
            return false
        }
        return true
    }

    /// Writes a field of the `.string` shape from its text as written.
    static func write(_ field: CommonField, _ text: String, _ canonicalForms: CanonicalForms, into out: inout [UInt8]) {
        switch field {
        case .bizStep: write(field.name, expandedTerm(text, Node.Vocabulary.bizStep), field, canonicalForms, into: &out)
        case .disposition:
            write(field.name, expandedTerm(text, Node.Vocabulary.disposition), field, canonicalForms, into: &out)
        default: write(field.name, text, field, canonicalForms, into: &out)
        }
    }

    /// Writes a field of the `.epcs` shape from its EPCs as written: the list's name, then `epc=value` for each,
    /// sorted; nothing at all when no entry is written.
    static func writeEPCs(
        _ field: CommonField, _ epcs: some Sequence<String>, _ canonicalForms: CanonicalForms, into out: inout [UInt8]
    ) {
        let mark = out.count
        out += field.name.utf8
        let named = out.count
        writeSorted("epc", epcs, field, canonicalForms, into: &out)
        if out.count == named { out.removeSubrange(mark...) }
    }

    /// Writes a field of the `.place` shape from its `id` as written: the name, then `id=value`; nothing for a
    /// blank id.
    static func writePlace(_ field: CommonField, id: String, _ canonicalForms: CanonicalForms, into out: inout [UInt8])
    {
        guard !id.trimmingASCIIWhitespace().isEmpty else { return }
        out += field.name.utf8
        write("id", id, field, canonicalForms, into: &out)
    }

    /// `name=value` for each of `texts`, sorted (blank ones left out).
    static func writeSorted(
        _ name: String, _ texts: some Sequence<String>, _ field: CommonField, _ canonicalForms: CanonicalForms,
        into out: inout [UInt8]
    ) {
        var segments = Segments(start: out.count)
        for text in texts {
            write(name, text, field, canonicalForms, into: &out)
            segments.end(at: out.count)
        }
        segments.sort(&out)
    }

    /// `name=value` for a string value of `field`, nothing for a blank one.
    private static func write(
        _ name: String, _ text: String, _ field: CommonField, _ canonicalForms: CanonicalForms, into out: inout [UInt8]
    ) {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return }
        out += name.utf8
        out.append(UInt8(ascii: "="))
        if field == .eventTime {
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
