import Foundation

/// Reading each kind of value an event member holds, recording a problem (with its path) for one that is wrong
/// (`Specs/08-epcis.md` §2).
extension EPCISValidator {
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

    /// An absolute URI: a scheme (a letter, then letters, digits, `+`, `-`, `.`), a colon, and no white space or control
    /// character (RFC 3986 has neither).
    package static func isURI(_ text: String) -> Bool {
        func isLetter(_ byte: UInt8) -> Bool {
            (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
        }
        var text = text
        // One pass over the bytes; nil when the text has non-ASCII, whose white space and controls need a second look.
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
                // No space, tab, line break or other control: ASCII ones by byte, the others (NBSP, NEL, LS, PS, C1)
                // only where there is non-ASCII.
                if byte <= 0x20 || byte == 0x7F { return false }
                if byte >= 0x80 { isASCII = false }
                // A `%` begins an escape of two hex digits (RFC 3986 §2.1): `%zz` is no URI, everywhere alike.
                if byte == UInt8(ascii: "%"), !isHex(i + 1) || !isHex(i + 2) { return false }
            }
            return isASCII ? true : nil
        }
        return verdict
            ?? !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
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

    /// certificationInfo is an xsd:anyURI (EPCIS 2.0 §7.3.6): an absolute URI, or a reference relative to the
    /// document — anything without white space or control characters.
    mutating func certificationInfo(_ value: JSONValue, _ path: @autoclosure () -> String) -> [String] {
        func reference(_ value: JSONValue, _ path: String) -> String? {
            guard let text = string(value, path) else { return nil }
            guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
            else {
                problem(path, "uri", "certificationInfo '\(text)' is not a URI reference (it has white space)")
                return nil
            }
            return text
        }
        if value.stringValue != nil { return reference(value, path()).map { [$0] } ?? [] }
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
            return reference(element, "\(path())[\(index)]")
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
