import Foundation

/// Reads EPCIS 2.0 JSON into typed events, collecting every problem with the path of the field at fault
/// (EPCIS 2.0 §7 for what each event type holds; CBV 2.0 §7 for the vocabularies). `Specs/08-epcis.md`.
package struct EPCISValidator {
    var problems: [EPCISProblem] = []
    /// Reading part of an event (the fields disclosed of a sealed one): what each event type must name is not
    /// asked for, since the rest may be withheld; every field there is still checked.
    var partial = false

    mutating func problem(_ path: String, _ code: String, _ message: String) {
        problems.append(EPCISProblem(path: path, code: "epcis." + code, message: message))
    }

    /// The standard fields of an event (EPCIS 2.0 §7.4), each found once in the event's members.
    package enum Field: Int, CaseIterable {
        case type, eventTime, eventTimeZoneOffset, recordTime, eventID, errorDeclaration, certificationInfo
        case bizStep, disposition, persistentDisposition, readPoint, bizLocation, bizTransactionList, sourceList
        case destinationList, sensorElementList, context, comment
        case epcList, quantityList, action, ilmd, parentID, childEPCs, childQuantityList, inputEPCList
        case inputQuantityList, outputEPCList, outputQuantityList, transformationID

        /// The member name.
        var name: String { Field.names[rawValue] }

        private static let names = allCases.map { $0 == .context ? "@context" : "\($0)" }

        /// The fields each kind of event may have.
        static func allowed(in kind: EPCISEvent.Kind) -> Set<Field> {
            let common = Set(Field.allCases.prefix(through: Field.comment.rawValue))
            switch kind {
            case .object: return common.union([.epcList, .quantityList, .action, .ilmd])
            case .aggregation, .association: return common.union([.parentID, .childEPCs, .childQuantityList, .action])
            case .transaction: return common.union([.parentID, .epcList, .quantityList, .action])
            case .transformation:
                return common.union([
                    .inputEPCList, .inputQuantityList, .outputEPCList, .outputQuantityList, .transformationID, .ilmd,
                ])
            }
        }

        /// Each kind's allowed fields as bits (bit `rawValue`), so the check costs no hashing.
        static let allowedBits: [UInt64] = EPCISEvent.Kind.allCases.map { kind in
            allowed(in: kind).reduce(0) { $0 | 1 << UInt64($1.rawValue) }
        }

        /// Every field's name, one after another, and each name's place there and field, ordered by the names'
        /// lengths: a member's name is matched with a few comparisons of bytes. Both live as long as the program
        /// (made once, never freed), so reading them counts no references — a name is matched for every member of
        /// every event read. (Written once, when first read, and only read after: safe to share.)
        nonisolated(unsafe) private static let table:
            (names: UnsafePointer<UInt8>, entries: UnsafeBufferPointer<(start: Int, count: Int, field: Field)>) = {
                var bytes: [UInt8] = []
                var entries: [(start: Int, count: Int, field: Field)] = []
                for field in Field.allCases.sorted(by: { $0.name.utf8.count < $1.name.utf8.count }) {
                    entries.append((bytes.count, field.name.utf8.count, field))
                    bytes += field.name.utf8
                }
                let names = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
                names.initialize(from: bytes, count: bytes.count)
                let table = UnsafeMutableBufferPointer<(start: Int, count: Int, field: Field)>.allocate(
                    capacity: entries.count)
                _ = table.initialize(from: entries)
                return (UnsafePointer(names), UnsafeBufferPointer(table))
            }()

        /// The field named `name`, if it is a standard one.
        init?(name: String) {
            var name = name
            guard let field = name.withUTF8({ Field(name: $0) }) else { return nil }
            self = field
        }

        /// The field whose name is `bytes` (UTF-8), if it is a standard one.
        package init?(name bytes: UnsafeBufferPointer<UInt8>) {
            let (names, entries) = Field.table
            for entry in entries where entry.count >= bytes.count {
                guard entry.count == bytes.count else { return nil }
                if bytes.count == 0 || memcmp(names + entry.start, bytes.baseAddress!, bytes.count) == 0 {
                    self = entry.field
                    return
                }
            }
            return nil
        }
    }

    /// Where each standard field is among an event's members (−1 for none).
    struct FieldPositions {
        private var positions = [Int](repeating: -1, count: Field.allCases.count)
        /// Each member's field, in member order (nil for a member that is not a standard field).
        private(set) var fields: [Field?] = []

        init(_ members: [JSONValue.Member]) {
            fields.reserveCapacity(members.count)
            for (i, member) in members.enumerated() {
                let field = Field(name: member.key)
                if let field { positions[field.rawValue] = i }
                fields.append(field)
            }
        }

        func value(_ field: Field, in members: [JSONValue.Member]) -> JSONValue? {
            let i = positions[field.rawValue]
            return i >= 0 ? members[i].value : nil
        }
    }

    static let sensorMetadataFields: Set<String> = [
        "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules",
    ]
    static let sensorReportFields: Set<String> = [
        "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules", "time",
        "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue", "hexBinaryValue",
        "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
        "coordinateReferenceSystem",
    ]
    static let sensorNumberFields: Set<String> = [
        "value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
    ]

    /// A user extension is named with a namespace prefix (`example:field`) or a full URI.
    static func isExtension(_ key: String) -> Bool { key.utf8.contains(UInt8(ascii: ":")) }

    mutating func event(_ json: JSONValue, context outer: JSONLDContext, path: String) -> EPCISEvent? {
        var event = EPCISEvent(kind: .object, json: json, context: outer)
        return read(json, context: outer, path: path, into: &event) ? event : nil
    }

    /// An event object's members, and where each standard field is among them (found in one pass).
    struct EventMembers {
        let members: [JSONValue.Member]
        let positions: FieldPositions

        subscript(_ field: Field) -> JSONValue? { positions.value(field, in: members) }
    }

    /// Reads and validates one event object into `f`, an event with nothing read into it yet
    /// (`EPCISEvent(kind:json:context:)`), and returns true; false when it is not valid, with the problems
    /// recorded. (Written in place: returning a new event from here copied it whole.)
    mutating func read(
        _ json: JSONValue, context outer: JSONLDContext, path: String, into f: inout EPCISEvent
    )
        -> Bool
    {
        let before = problems.count
        guard let members = json.members else {
            problem(path, "event", "an event must be a JSON object, not \(json.typeName)")
            return false
        }
        let value = EventMembers(members: members, positions: FieldPositions(members))
        guard let typeName = value[.type]?.stringValue, let kind = EPCISEvent.Kind(rawValue: typeName) else {
            let written = value[.type].map { $0.stringValue.map { "'\($0)'" } ?? $0.typeName } ?? "missing"
            problem(
                path + ".type", "type",
                "event type is \(written); it must be one of "
                    + EPCISEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            return false
        }
        var context = outer
        context.merge(value[.context])
        (f.kind, f.json, f.context) = (kind, json, context)
        readFields(value, kind: kind, path: path, into: &f)
        readWhen(value, path: path, into: &f)
        readWhy(value, path: path, into: &f)
        readWhat(value, path: path, into: &f)
        readHow(value, path: path, into: &f)
        if !partial { whatRules(f, path) }
        guard problems.count == before else { return false }
        f.findCanonicalForms()
        return true
    }

    /// Every member is a field of the event's type, or a user extension (kept in `extensions`).
    private mutating func readFields(
        _ value: EventMembers, kind: EPCISEvent.Kind, path: String, into f: inout EPCISEvent
    ) {
        let allowed = Field.allowedBits[EPCISEvent.Kind.allCases.firstIndex(of: kind)!]
        for (member, field) in zip(value.members, value.positions.fields) {
            if let field, allowed & 1 << UInt64(field.rawValue) != 0 { continue }
            if field == nil, EPCISValidator.isExtension(member.key) {
                f.extensions.append(member)
            } else {
                problem(
                    "\(path).\(member.key)", "field",
                    "'\(member.key)' is not a field of a \(kind.rawValue); a user extension needs a namespace prefix"
                        + " (e.g. 'example:\(member.key)')")
            }
        }
    }

    /// When: the event and record times, the zone, the event's id, an error declaration, certification, action.
    private mutating func readWhen(_ value: EventMembers, path: String, into f: inout EPCISEvent) {
        if let time = required(value[.eventTime], "eventTime", path) {
            f.eventTime = dateTime(time, "\(path).eventTime") ?? f.eventTime
        }
        if let offset = required(value[.eventTimeZoneOffset], "eventTimeZoneOffset", path) {
            if let text = string(offset, "\(path).eventTimeZoneOffset") {
                if Timestamp.parseOffset(text) == nil {
                    problem(
                        "\(path).eventTimeZoneOffset", "eventTimeZoneOffset",
                        "eventTimeZoneOffset '\(text)' is not a zone offset of the form +hh:mm or -hh:mm")
                }
                f.eventTimeZoneOffset = text
            }
        }
        if let time = value[.recordTime] { f.recordTime = dateTime(time, "\(path).recordTime") }
        if let id = value[.eventID] { f.eventID = uri(id, "\(path).eventID") }
        if let declaration = value[.errorDeclaration] {
            f.errorDeclaration = errorDeclaration(declaration, "\(path).errorDeclaration")
        }
        if let info = value[.certificationInfo] {
            f.certificationInfo = certificationInfo(info, "\(path).certificationInfo")
        }
        if f.kind != .transformation, let action = required(value[.action], "action", path) {
            f.action = EPCISEvent.Action(rawValue: action.stringValue ?? "")
            if f.action == nil {
                problem(
                    "\(path).action", "action",
                    "action is \(action.stringValue.map { "'\($0)'" } ?? action.typeName); it must be ADD, OBSERVE"
                        + " or DELETE")
            }
        }
    }

    /// Why and where: the business step, dispositions, read point and business location.
    private mutating func readWhy(_ value: EventMembers, path: String, into f: inout EPCISEvent) {
        if let step = value[.bizStep] { f.bizStep = term(step, CBV.bizStep, "\(path).bizStep") }
        if let disposition = value[.disposition] {
            f.disposition = term(disposition, CBV.disposition, "\(path).disposition")
        }
        if let disposition = value[.persistentDisposition] {
            (f.persistentDispositionSet, f.persistentDispositionUnset) = persistentDisposition(
                disposition, "\(path).persistentDisposition")
        }
        if let point = value[.readPoint] { f.readPoint = place(point, "\(path).readPoint") }
        if let location = value[.bizLocation] { f.bizLocation = place(location, "\(path).bizLocation") }
    }

    /// What: the parent, the lists of instances and quantities, the transformation.
    private mutating func readWhat(_ value: EventMembers, path: String, into f: inout EPCISEvent) {
        if let parent = value[.parentID] { f.parentID = uri(parent, "\(path).parentID") }
        f.epcList = uris(value[.epcList], "\(path).epcList")
        f.childEPCs = uris(value[.childEPCs], "\(path).childEPCs")
        f.inputEPCList = uris(value[.inputEPCList], "\(path).inputEPCList")
        f.outputEPCList = uris(value[.outputEPCList], "\(path).outputEPCList")
        f.quantityList = quantities(value[.quantityList], "\(path).quantityList")
        f.childQuantityList = quantities(value[.childQuantityList], "\(path).childQuantityList")
        f.inputQuantityList = quantities(value[.inputQuantityList], "\(path).inputQuantityList")
        f.outputQuantityList = quantities(value[.outputQuantityList], "\(path).outputQuantityList")
        if let id = value[.transformationID] { f.transformationID = uri(id, "\(path).transformationID") }
    }

    /// How: business transactions, sources and destinations, instance master data, sensor data.
    private mutating func readHow(_ value: EventMembers, path: String, into f: inout EPCISEvent) {
        f.bizTransactionList = references(
            value[.bizTransactionList], "bizTransaction", CBV.bizTransactionType, typeRequired: false,
            "\(path).bizTransactionList")
        f.sourceList = references(
            value[.sourceList], "source", CBV.sourceDestinationType, typeRequired: true, "\(path).sourceList")
        f.destinationList = references(
            value[.destinationList], "destination", CBV.sourceDestinationType, typeRequired: true,
            "\(path).destinationList")
        if let master = value[.ilmd] { f.ilmd = ilmd(master, "\(path).ilmd") }
        if let sensors = value[.sensorElementList] {
            f.sensorElementList = sensorElements(sensors, "\(path).sensorElementList")
        }
    }

    /// What each event type must name (EPCIS 2.0 §7.4.2–7.4.6).
    mutating func whatRules(_ f: EPCISEvent, _ path: @autoclosure () -> String) {
        switch f.kind {
        case .object:
            let listed = problems.contains {
                $0.path.hasPrefix("\(path()).epcList") || $0.path.hasPrefix("\(path()).quantityList")
            }
            if f.epcList.isEmpty && f.quantityList.isEmpty && f.sensorElementList.isEmpty && !listed {
                problem(
                    "\(path()).epcList", "what",
                    "an ObjectEvent must name its objects in a non-empty epcList or quantityList, or carry sensor data")
            }
        case .aggregation, .association:
            if f.parentID == nil && f.json["parentID"] == nil && (f.kind == .association || f.action != .observe) {
                problem(
                    "\(path()).parentID", "what",
                    "an \(f.kind.rawValue) with action \(f.action?.rawValue ?? "?") must name its parentID")
            }
        case .transaction:
            if f.bizTransactionList.isEmpty && f.json["bizTransactionList"] == nil {
                problem(
                    "\(path()).bizTransactionList", "what",
                    "a TransactionEvent must name at least one business transaction in bizTransactionList")
            }
        case .transformation:
            if f.inputEPCList.isEmpty && f.inputQuantityList.isEmpty && f.outputEPCList.isEmpty
                && f.outputQuantityList.isEmpty && f.transformationID == nil
            {
                problem(
                    "\(path()).inputEPCList", "what",
                    "a TransformationEvent must name inputs, outputs or a transformationID")
            }
        }
    }
}
