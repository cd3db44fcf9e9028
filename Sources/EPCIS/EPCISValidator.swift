import Foundation

/// Reads EPCIS 2.0 JSON into typed events, collecting every problem with the path of the field at fault
/// (EPCIS 2.0 §7 for what each event type holds; CBV 2.0 §7 for the vocabularies). `Specs/08-epcis.md`.
package struct EPCISValidator {
    var problems: [EPCISProblem] = []

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

        /// The fields by the length of their names, so a member's name is matched with few comparisons.
        private static let byLength: [[(name: String, field: Field)]] = {
            var table = [[(name: String, field: Field)]](repeating: [], count: 32)
            for field in Field.allCases { table[field.name.utf8.count].append((field.name, field)) }
            return table
        }()

        /// The field named `name`, if it is a standard one.
        init?(name: String) {
            let count = name.utf8.count
            guard count < Field.byLength.count,
                let field = Field.byLength[count].first(where: { $0.name == name })?.field
            else { return nil }
            self = field
        }

        /// The field whose name is `bytes` (UTF-8), if it is a standard one.
        package init?(name bytes: UnsafeBufferPointer<UInt8>) {
            guard bytes.count < Field.byLength.count else { return nil }
            for (name, field) in Field.byLength[bytes.count] {
                var name = name
                // Compared as buffers: the UTF-8 views' generic comparison goes byte by byte through the view.
                if name.withUTF8({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                    self = field
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
        // One pass finds every standard field; the checks below look them up by position.
        let fields = FieldPositions(members)
        func value(_ field: Field) -> JSONValue? { fields.value(field, in: members) }
        guard let typeName = value(.type)?.stringValue, let kind = EPCISEvent.Kind(rawValue: typeName) else {
            let written = value(.type).map { $0.stringValue.map { "'\($0)'" } ?? $0.typeName } ?? "missing"
            problem(
                path + ".type", "type",
                "event type is \(written); it must be one of "
                    + EPCISEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            return false
        }
        var context = outer
        context.merge(value(.context))
        (f.kind, f.json, f.context) = (kind, json, context)
        let allowed = Field.allowedBits[EPCISEvent.Kind.allCases.firstIndex(of: kind)!]
        for (member, field) in zip(members, fields.fields) {
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
        if let time = required(value(.eventTime), "eventTime", path) {
            f.eventTime = dateTime(time, "\(path).eventTime") ?? f.eventTime
        }
        if let offset = required(value(.eventTimeZoneOffset), "eventTimeZoneOffset", path) {
            if let text = string(offset, "\(path).eventTimeZoneOffset") {
                if Timestamp.parseOffset(text) == nil {
                    problem(
                        "\(path).eventTimeZoneOffset", "eventTimeZoneOffset",
                        "eventTimeZoneOffset '\(text)' is not a zone offset of the form +hh:mm or -hh:mm")
                }
                f.eventTimeZoneOffset = text
            }
        }
        if let time = value(.recordTime) { f.recordTime = dateTime(time, "\(path).recordTime") }
        if let id = value(.eventID) { f.eventID = uri(id, "\(path).eventID") }
        if let declaration = value(.errorDeclaration) {
            f.errorDeclaration = errorDeclaration(declaration, "\(path).errorDeclaration")
        }
        if let info = value(.certificationInfo) {
            f.certificationInfo = certificationInfo(info, "\(path).certificationInfo")
        }
        if kind != .transformation {
            if let action = required(value(.action), "action", path) {
                let text = action.stringValue ?? ""
                f.action = EPCISEvent.Action(rawValue: text)
                if f.action == nil {
                    problem(
                        "\(path).action", "action",
                        "action is \(action.stringValue.map { "'\($0)'" } ?? action.typeName); it must be ADD, OBSERVE"
                            + " or DELETE")
                }
            }
        }
        if let step = value(.bizStep) { f.bizStep = term(step, CBV.bizStep, "\(path).bizStep") }
        if let disposition = value(.disposition) {
            f.disposition = term(disposition, CBV.disposition, "\(path).disposition")
        }
        if let disposition = value(.persistentDisposition) {
            (f.persistentDispositionSet, f.persistentDispositionUnset) = persistentDisposition(
                disposition, "\(path).persistentDisposition")
        }
        if let point = value(.readPoint) { f.readPoint = place(point, "\(path).readPoint") }
        if let location = value(.bizLocation) { f.bizLocation = place(location, "\(path).bizLocation") }
        if let parent = value(.parentID) { f.parentID = uri(parent, "\(path).parentID") }
        f.epcList = uris(value(.epcList), "\(path).epcList")
        f.childEPCs = uris(value(.childEPCs), "\(path).childEPCs")
        f.inputEPCList = uris(value(.inputEPCList), "\(path).inputEPCList")
        f.outputEPCList = uris(value(.outputEPCList), "\(path).outputEPCList")
        f.quantityList = quantities(value(.quantityList), "\(path).quantityList")
        f.childQuantityList = quantities(value(.childQuantityList), "\(path).childQuantityList")
        f.inputQuantityList = quantities(value(.inputQuantityList), "\(path).inputQuantityList")
        f.outputQuantityList = quantities(value(.outputQuantityList), "\(path).outputQuantityList")
        if let id = value(.transformationID) { f.transformationID = uri(id, "\(path).transformationID") }
        f.bizTransactionList = references(
            value(.bizTransactionList), "bizTransaction", CBV.bizTransactionType, typeRequired: false,
            "\(path).bizTransactionList")
        f.sourceList = references(
            value(.sourceList), "source", CBV.sourceDestinationType, typeRequired: true, "\(path).sourceList")
        f.destinationList = references(
            value(.destinationList), "destination", CBV.sourceDestinationType, typeRequired: true,
            "\(path).destinationList")
        if let master = value(.ilmd) { f.ilmd = ilmd(master, "\(path).ilmd") }
        if let sensors = value(.sensorElementList) {
            f.sensorElementList = sensorElements(sensors, "\(path).sensorElementList")
        }
        whatRules(f, path)
        guard problems.count == before else { return false }
        f.findCanonicalForms()
        return true
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

    mutating func required(_ json: JSONValue, _ key: String, _ path: @autoclosure () -> String) -> JSONValue? {
        required(json[key], key, path())
    }

    /// `value`, the member `key` of the object at `path`, or a problem when it is missing.
    mutating func required(_ value: JSONValue?, _ key: String, _ path: @autoclosure () -> String) -> JSONValue? {
        guard let value else {
            problem("\(path()).\(key)", "required", "'\(key)' is required and missing")
            return nil
        }
        return value
    }

    mutating func string(_ value: JSONValue, _ path: @autoclosure () -> String) -> String? {
        guard let text = value.stringValue else {
            problem(path(), "type", "\(lastName(path())) must be a string, not \(value.typeName)")
            return nil
        }
        return text
    }

    func lastName(_ path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }

    mutating func dateTime(_ value: JSONValue, _ path: @autoclosure () -> String) -> Timestamp.DateTime? {
        guard let text = string(value, path()) else { return nil }
        guard let time = Timestamp.parseDateTime(text) else {
            problem(
                path(), "time",
                "\(lastName(path())) '\(text)' is not a date and time with a zone, such as 2026-07-22T06:45:00+02:00"
                    + " or 2026-07-22T04:45:00.000Z")
            return nil
        }
        return time
    }

    mutating func uri(_ value: JSONValue, _ path: @autoclosure () -> String) -> String? {
        guard let text = string(value, path()) else { return nil }
        guard EPCISValidator.isURI(text) else {
            problem(path(), "uri", "\(lastName(path())) '\(text)' is not a URI (an EPC URN, a Digital Link, …)")
            return nil
        }
        return text
    }

    /// An absolute URI: a scheme (a letter, then letters, digits, `+`, `-`, `.`), a colon, and no spaces.
    package static func isURI(_ text: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
        }
        var text = text
        // One pass over the bytes; nil when the text has non-ASCII, whose line breaks need a second look.
        let verdict: Bool? = text.withUTF8 { bytes in
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < bytes.count,
                isLetter(bytes[0])
            else { return false }
            for byte in bytes[1..<colon] {
                guard
                    isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                        || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                else { return false }
            }
            var isASCII = true
            func isHex(_ i: Int) -> Bool {
                i < bytes.count
                    && (bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
                        || (bytes[i] | 0x20) >= UInt8(ascii: "a") && (bytes[i] | 0x20) <= UInt8(ascii: "f"))
            }
            for (i, byte) in bytes.enumerated() {
                // No space or line break: ASCII ones by byte, the others (NEL, LS, PS) only where there is non-ASCII.
                if byte == 0x20 || (byte >= 0x0A && byte <= 0x0D) { return false }
                if byte >= 0x80 { isASCII = false }
                // A `%` begins an escape of two hex digits (RFC 3986 §2.1): `%zz` is no URI, everywhere alike.
                if byte == UInt8(ascii: "%"), !isHex(i + 1) || !isHex(i + 2) { return false }
            }
            return isASCII ? true : nil
        }
        return verdict ?? !text.contains(where: \.isNewline)
    }

    mutating func uris(_ value: JSONValue?, _ path: @autoclosure () -> String) -> [String] {
        guard let value else { return [] }
        guard let elements = value.elements else {
            problem(path(), "type", "\(lastName(path())) must be an array, not \(value.typeName)")
            return []
        }
        return elements.enumerated().compactMap { uri($1, "\(path())[\($0)]") }
    }

    mutating func term(_ value: JSONValue, _ vocabulary: CBV.Vocabulary, _ path: @autoclosure () -> String) -> String? {
        guard let text = string(value, path()) else { return nil }
        guard let canonical = vocabulary.canonical(text) else {
            problem(
                path(), lastName(path()),
                "\(lastName(path())) '\(text)' is not a CBV 2.0 \(vocabulary.name); use a CBV term or a URI of your"
                    + " own")
            return nil
        }
        return canonical
    }

    mutating func certificationInfo(_ value: JSONValue, _ path: @autoclosure () -> String) -> [String] {
        if value.stringValue != nil { return uri(value, path()).map { [$0] } ?? [] }
        guard let elements = value.elements else {
            problem(
                path(), "certificationInfo",
                "certificationInfo must be a URI or an array of URIs, not \(value.typeName)")
            return []
        }
        return elements.enumerated().compactMap { index, element in
            guard element.stringValue != nil else {
                problem(
                    "\(path())[\(index)]", "certificationInfo",
                    "certificationInfo must hold URIs of certificates, not \(element.typeName)")
                return nil
            }
            return uri(element, "\(path())[\(index)]")
        }
    }

    mutating func place(_ value: JSONValue, _ path: @autoclosure () -> String) -> String? {
        guard let members = value.members else {
            problem(path(), "type", "\(lastName(path())) must be an object with an 'id', not \(value.typeName)")
            return nil
        }
        for member in members where member.key != "id" && !EPCISValidator.isExtension(member.key) {
            problem("\(path()).\(member.key)", "field", "'\(member.key)' is not a field of \(lastName(path()))")
        }
        guard let id = required(value, "id", path()) else { return nil }
        return uri(id, "\(path()).id")
    }

    mutating func persistentDisposition(_ value: JSONValue, _ path: @autoclosure () -> String) -> ([String], [String]) {
        guard let members = value.members else {
            problem(path(), "type", "persistentDisposition must be an object with 'set' and/or 'unset'")
            return ([], [])
        }
        for member in members where !["set", "unset"].contains(member.key) && !EPCISValidator.isExtension(member.key) {
            problem("\(path()).\(member.key)", "field", "'\(member.key)' is not a field of persistentDisposition")
        }
        func list(_ key: String) -> [String] {
            guard let entries = value[key] else { return [] }
            guard let elements = entries.elements else {
                problem("\(path()).\(key)", "type", "persistentDisposition.\(key) must be an array of dispositions")
                return []
            }
            return elements.enumerated().compactMap { term($1, CBV.disposition, "\(path()).\(key)[\($0)]") }
        }
        return (list("set"), list("unset"))
    }

    mutating func quantities(_ value: JSONValue?, _ path: @autoclosure () -> String) -> [EPCISEvent.QuantityElement] {
        guard let value else { return [] }
        guard let elements = value.elements else {
            problem(path(), "type", "\(lastName(path())) must be an array, not \(value.typeName)")
            return []
        }
        var out: [EPCISEvent.QuantityElement] = []
        for (index, element) in elements.enumerated() {
            func at() -> String { "\(path())[\(index)]" }
            guard let members = element.members else {
                problem(at(), "type", "a quantity element must be an object, not \(element.typeName)")
                continue
            }
            var ok = true
            for member in members where !["epcClass", "quantity", "uom"].contains(member.key) {
                problem(
                    "\(at()).\(member.key)", "quantityElement",
                    "'\(member.key)' is not a field of a quantity element (epcClass, quantity, uom)")
                ok = false
            }
            let epcClass = required(element, "epcClass", at()).flatMap { uri($0, "\(at()).epcClass") }
            var quantity: Double?
            if let q = element["quantity"] {
                quantity = q.doubleValue
                if quantity == nil || quantity! < 0 || !quantity!.isFinite {
                    problem(
                        "\(at()).quantity", "quantity",
                        "quantity must be a non-negative number, not \(q.stringValue.map { "'\($0)'" } ?? q.typeName)")
                    ok = false
                }
            }
            var uom: String?
            if let u = element["uom"] {
                uom = string(u, "\(at()).uom")
                if quantity == nil && element["quantity"] == nil {
                    problem("\(at()).uom", "uom", "a unit of measure (uom) needs a quantity")
                    ok = false
                }
            }
            if let epcClass, ok {
                out.append(EPCISEvent.QuantityElement(epcClass: epcClass, quantity: quantity, uom: uom))
            }
        }
        return out
    }

    mutating func references(
        _ value: JSONValue?, _ key: String, _ vocabulary: CBV.Vocabulary, typeRequired: Bool,
        _ path: @autoclosure () -> String
    ) -> [EPCISEvent.TypedReference] {
        guard let value else { return [] }
        guard let elements = value.elements else {
            problem(path(), "type", "\(lastName(path())) must be an array, not \(value.typeName)")
            return []
        }
        var out: [EPCISEvent.TypedReference] = []
        for (index, element) in elements.enumerated() {
            func at() -> String { "\(path())[\(index)]" }
            guard let members = element.members else {
                problem(at(), "type", "an entry of \(lastName(path())) must be an object, not \(element.typeName)")
                continue
            }
            for member in members where ![key, "type"].contains(member.key) && !EPCISValidator.isExtension(member.key) {
                problem("\(at()).\(member.key)", "field", "'\(member.key)' is not a field of \(lastName(path()))")
            }
            var type: String?
            if let t = element["type"] {
                type = term(t, vocabulary, "\(at()).type")
                if type == nil { continue }
            } else if typeRequired {
                problem("\(at()).type", "required", "'type' is required and missing")
                continue
            }
            guard let reference = required(element, key, at()).flatMap({ uri($0, "\(at()).\(key)") }) else { continue }
            out.append(EPCISEvent.TypedReference(type: type, value: reference))
        }
        return out
    }

    mutating func ilmd(_ value: JSONValue, _ path: @autoclosure () -> String) -> [JSONValue.Member] {
        guard let members = value.members else {
            problem(path(), "type", "ilmd must be an object, not \(value.typeName)")
            return []
        }
        for member in members where !EPCISValidator.isExtension(member.key) {
            problem(
                "\(path()).\(member.key)", "ilmd",
                "ilmd field '\(member.key)' has no namespace prefix; master data fields are named like"
                    + " 'cbvmda:lotNumber' or 'example:\(member.key)'")
        }
        return members
    }

    mutating func errorDeclaration(
        _ value: JSONValue, _ path: @autoclosure () -> String
    ) -> EPCISEvent.ErrorDeclaration? {
        guard let members = value.members else {
            problem(path(), "type", "errorDeclaration must be an object, not \(value.typeName)")
            return nil
        }
        for member in members
        where !["declarationTime", "reason", "correctiveEventIDs"].contains(member.key)
            && !EPCISValidator.isExtension(member.key)
        {
            problem("\(path()).\(member.key)", "field", "'\(member.key)' is not a field of errorDeclaration")
        }
        let time = required(value, "declarationTime", path()).flatMap { dateTime($0, "\(path()).declarationTime") }
        let reason = value["reason"].flatMap { term($0, CBV.errorReason, "\(path()).reason") }
        let corrective = uris(value["correctiveEventIDs"], "\(path()).correctiveEventIDs")
        return time.map {
            EPCISEvent.ErrorDeclaration(declarationTime: $0, reason: reason, correctiveEventIDs: corrective)
        }
    }

    mutating func sensorElements(_ value: JSONValue, _ path: @autoclosure () -> String) -> [JSONValue] {
        guard let elements = value.elements else {
            problem(path(), "type", "sensorElementList must be an array, not \(value.typeName)")
            return []
        }
        for (index, element) in elements.enumerated() {
            func at() -> String { "\(path())[\(index)]" }
            guard let members = element.members else {
                problem(at(), "type", "a sensor element must be an object, not \(element.typeName)")
                continue
            }
            for member in members
            where !["sensorMetadata", "sensorReport"].contains(member.key) && !EPCISValidator.isExtension(member.key) {
                problem("\(at()).\(member.key)", "field", "'\(member.key)' is not a field of a sensor element")
            }
            if let metadata = element["sensorMetadata"] {
                sensorFields(metadata, EPCISValidator.sensorMetadataFields, "\(at()).sensorMetadata")
            }
            guard let reports = required(element, "sensorReport", at()) else { continue }
            guard let list = reports.elements else {
                problem("\(at()).sensorReport", "type", "sensorReport must be an array, not \(reports.typeName)")
                continue
            }
            for (r, report) in list.enumerated() {
                sensorFields(report, EPCISValidator.sensorReportFields, "\(at()).sensorReport[\(r)]")
            }
        }
        return elements
    }

    mutating func sensorFields(_ value: JSONValue, _ fields: Set<String>, _ path: @autoclosure () -> String) {
        guard let members = value.members else {
            problem(path(), "type", "\(lastName(path())) must be an object, not \(value.typeName)")
            return
        }
        for member in members {
            let at = "\(path()).\(member.key)"
            if !fields.contains(member.key) && !EPCISValidator.isExtension(member.key) {
                problem(at, "field", "'\(member.key)' is not a field of \(lastName(path()))")
            } else if ["time", "startTime", "endTime"].contains(member.key) {
                _ = dateTime(member.value, at)
            } else if EPCISValidator.sensorNumberFields.contains(member.key), member.value.doubleValue == nil {
                problem(at, "type", "\(member.key) must be a number, not \(member.value.typeName)")
            } else if member.key == "booleanValue", case .bool = member.value {
            } else if member.key == "booleanValue" {
                problem(at, "type", "booleanValue must be true or false, not \(member.value.typeName)")
            } else if member.key == "component", let text = member.value.stringValue,
                !text.utf8.contains(UInt8(ascii: ":")), CBV.component.canonical(text) == nil
            {
                problem(at, "component", "component '\(text)' is not a CBV 2.0 sensor component")
            }
        }
    }
}
