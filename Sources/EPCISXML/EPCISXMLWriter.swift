import EPCIS
import Foundation

/// Writes EPCIS 2.0 events in the XML binding, fields in the order of the EPCIS 2.0 schema, so that reading the
/// XML back (`EPCISXMLReader`) gives the same JSON-LD, and so the same CBV 2.0 event hash (`Specs/08-epcis.md` §7).
public struct EPCISXMLWriter {
    /// A problem writing: a value XML 1.0 cannot carry, or a name it cannot have.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The document's events as an EPCIS 2.0 `EPCISDocument` (a query document's events too).
    public static func document(_ document: EPCISDocument) throws -> String {
        var writer = EPCISXMLWriter()
        var body = ""
        for (index, event) in document.events.enumerated() {
            writer.context = event.context
            writer.path = "event \(index)"
            try writer.event(event, into: &body)
        }
        // A repository's fields its hashes leave out (08 §2), after the body as the schema's `##other` elements.
        var ignored = ""
        writer.context = document.context
        writer.path = "the document"
        for holder in [document.json, document.json["epcisBody"], document.json["epcisBody"]?["queryResults"]] {
            for member in holder?.members ?? [] where member.key.hasSuffix(":ignoreFields") {
                _ = try writer.declare(member.key)
                ignored += "  <\(member.key)>\n"
                for field in member.value.elements ?? [] {
                    guard let name = field.stringValue else { continue }
                    _ = try writer.declare(name)
                    ignored += "    <\(name)/>\n"
                }
                ignored += "  </\(member.key)>\n"
            }
        }
        let created =
            document.json["creationDate"]?.stringValue
            ?? Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
        var root = "<epcis:EPCISDocument xmlns:epcis=\"\(EPCISXMLReader.epcis2)\""
        for (prefix, uri) in writer.declared.sorted(by: { $0.key < $1.key }) {
            root += " xmlns:\(prefix)=\"\(escaped(uri, attribute: true))\""
        }
        root += " schemaVersion=\"2.0\" creationDate=\"\(escaped(created, attribute: true))\">"
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root + "\n  <EPCISBody>\n    <EventList>\n" + body
            + "    </EventList>\n  </EPCISBody>\n" + ignored + "</epcis:EPCISDocument>"
    }

    private var context = JSONLDContext()
    private var declared: [String: String] = [:]
    private var path = ""

    // MARK: Events

    private mutating func event(_ event: EPCISEvent, into out: inout String) throws {
        guard let members = event.json.members else { return }
        let name = event.kind.rawValue
        let indent = "      "
        out += indent + "<\(name)>\n"
        let sequence =
            EPCISXMLReader.commonOrder.filter { $0 != "baseExtension" } + (EPCISXMLReader.order[event.kind] ?? [])
        for field in sequence {
            guard let value = members.first(where: { $0.key == field })?.value else { continue }
            try self.field(field, value, depth: 4, into: &out)
        }
        for member in members where member.key.utf8.contains(0x3A) {
            try element(member.key, member.value, depth: 4, into: &out)
        }
        // JSON-LD's plain `comment` has no place in the schema: it goes as RDF's comment, which the hash also skips.
        if let comment = event.json["comment"] { try element("rdfs:comment", comment, depth: 4, into: &out) }
        out += indent + "</\(name)>\n"
    }

    private mutating func field(_ name: String, _ value: JSONValue, depth: Int, into out: inout String) throws {
        let pad = String(repeating: "  ", count: depth)
        func open(_ name: String) { out += pad + "<\(name)>\n" }
        func close(_ name: String) { out += pad + "</\(name)>\n" }
        switch name {
        case "bizStep": try leaf(name, Self.urn(value.stringValue, CBV.bizStep), depth: depth, into: &out)
        case "disposition": try leaf(name, Self.urn(value.stringValue, CBV.disposition), depth: depth, into: &out)
        case "certificationInfo":
            for certificate in value.elements ?? [value] {
                try leaf(name, certificate.stringValue ?? "", depth: depth, into: &out)
            }
        case "epcList", "childEPCs", "inputEPCList", "outputEPCList":
            open(name)
            for epc in value.elements ?? [] { try leaf("epc", epc.stringValue ?? "", depth: depth + 1, into: &out) }
            close(name)
        case "quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList":
            open(name)
            for element in value.elements ?? [] {
                out += pad + "  <quantityElement>\n"
                try leaf("epcClass", element["epcClass"]?.stringValue ?? "", depth: depth + 2, into: &out)
                if let quantity = element["quantity"] {
                    try leaf("quantity", Self.decimal(quantity), depth: depth + 2, into: &out)
                }
                if let uom = element["uom"]?.stringValue { try leaf("uom", uom, depth: depth + 2, into: &out) }
                out += pad + "  </quantityElement>\n"
            }
            close(name)
        case "readPoint", "bizLocation":
            open(name)
            try leaf("id", value["id"]?.stringValue ?? "", depth: depth + 1, into: &out)
            for member in value.members ?? [] where member.key.utf8.contains(0x3A) {
                try element(member.key, member.value, depth: depth + 1, into: &out)
            }
            close(name)
        case "bizTransactionList":
            try typed(name, "bizTransaction", CBV.bizTransactionType, value, depth: depth, into: &out)
        case "sourceList": try typed(name, "source", CBV.sourceDestinationType, value, depth: depth, into: &out)
        case "destinationList":
            try typed(name, "destination", CBV.sourceDestinationType, value, depth: depth, into: &out)
        case "persistentDisposition":
            open(name)
            for part in ["unset", "set"] {
                for disposition in value[part]?.elements ?? [] {
                    try leaf(part, Self.urn(disposition.stringValue, CBV.disposition), depth: depth + 1, into: &out)
                }
            }
            close(name)
        case "errorDeclaration":
            open(name)
            if let time = value["declarationTime"]?.stringValue {
                try leaf("declarationTime", time, depth: depth + 1, into: &out)
            }
            if let reason = value["reason"]?.stringValue {
                try leaf("reason", Self.urn(reason, CBV.errorReason), depth: depth + 1, into: &out)
            }
            if let ids = value["correctiveEventIDs"]?.elements {
                out += pad + "  <correctiveEventIDs>\n"
                for id in ids { try leaf("correctiveEventID", id.stringValue ?? "", depth: depth + 2, into: &out) }
                out += pad + "  </correctiveEventIDs>\n"
            }
            for member in value.members ?? [] where member.key.utf8.contains(0x3A) {
                try element(member.key, member.value, depth: depth + 1, into: &out)
            }
            close(name)
        case "sensorElementList":
            open(name)
            for sensor in value.elements ?? [] { try sensorElement(sensor, depth: depth + 1, into: &out) }
            close(name)
        case "ilmd":
            open(name)
            for member in value.members ?? [] { try element(member.key, member.value, depth: depth + 1, into: &out) }
            close(name)
        default: try leaf(name, Self.text(value), depth: depth, into: &out)
        }
    }

    private mutating func typed(
        _ list: String, _ name: String, _ vocabulary: CBV.Vocabulary, _ value: JSONValue, depth: Int,
        into out: inout String
    ) throws {
        let pad = String(repeating: "  ", count: depth)
        out += pad + "<\(list)>\n"
        for element in value.elements ?? [] {
            let type = element["type"]?.stringValue.map {
                " type=\"\(Self.escaped(Self.urn($0, vocabulary), attribute: true))\""
            }
            try check(element[name]?.stringValue ?? "")
            out +=
                pad
                + "  <\(name)\(type ?? "")>\(Self.escaped(element[name]?.stringValue ?? "", attribute: false))</\(name)>\n"
        }
        out += pad + "</\(list)>\n"
    }

    private mutating func sensorElement(_ sensor: JSONValue, depth: Int, into out: inout String) throws {
        let pad = String(repeating: "  ", count: depth)
        out += pad + "<sensorElement>\n"
        if let metadata = sensor["sensorMetadata"] {
            out += pad + "  <sensorMetadata\(try attributes(metadata))/>\n"
        }
        for report in sensor["sensorReport"]?.elements ?? [] {
            out += pad + "  <sensorReport\(try attributes(report))/>\n"
        }
        for member in sensor.members ?? [] where member.key.utf8.contains(0x3A) {
            try element(member.key, member.value, depth: depth + 1, into: &out)
        }
        out += pad + "</sensorElement>\n"
    }

    /// A sensorMetadata's or sensorReport's members as attributes: a bare measurement type in GS1's vocabulary
    /// as `gs1:…`, a bare component as `cbv:Comp-…`, as the schema's examples write them.
    private mutating func attributes(_ object: JSONValue) throws -> String {
        var out = ""
        for member in object.members ?? [] {
            var value = Self.text(member.value)
            if ["type", "exception"].contains(member.key), !value.utf8.contains(0x3A) { value = "gs1:" + value }
            if member.key == "component", CBV.component.terms.contains(value) { value = "cbv:Comp-" + value }
            if member.key.utf8.contains(0x3A) { _ = try declare(member.key) }
            // A vocabulary value written as a CURIE keeps its prefix declared, so it reads back to the same URI.
            if ["type", "exception", "component"].contains(member.key), let colon = value.firstIndex(of: ":"),
                context.prefixes[String(value[..<colon])] != nil
            {
                _ = try declare(String(value[..<colon]) + ":x")
            }
            try check(value)
            out += " \(member.key)=\"\(Self.escaped(value, attribute: true))\""
        }
        return out
    }

    // MARK: Extensions

    /// A user extension: an element named by its key, text for a value, children for an object, the element
    /// repeated for each element of an array.
    private mutating func element(_ key: String, _ value: JSONValue, depth: Int, into out: inout String) throws {
        if key.utf8.contains(0x3A) { _ = try declare(key) } else { try name(key) }
        let pad = String(repeating: "  ", count: depth)
        switch value {
        case .array(let elements):
            for element in elements { try self.element(key, element, depth: depth, into: &out) }
        case .object(let members):
            out += pad + "<\(key)>\n"
            for member in members { try element(member.key, member.value, depth: depth + 1, into: &out) }
            out += pad + "</\(key)>\n"
        default: try leaf(key, Self.text(value), depth: depth, into: &out)
        }
    }

    /// Declares the namespace of `prefix:name` at the root; throws when the prefix is not known.
    private mutating func declare(_ key: String) throws -> String {
        // `:x`, `x:` and `:` are extension keys JSON-LD lets through; as XML names they are refused below.
        let parts = key.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        try name(parts[0])
        try name(parts.count > 1 ? parts[1] : "")
        let prefix = parts[0]
        let uri =
            context.prefixes[prefix]
            ?? Namespaces.standard.first { $0.prefix == prefix }.map {
                prefix == "cbvmda" ? String($0.uri.dropLast()) : $0.uri
            }
            ?? (prefix == "rdf" ? Namespaces.rdf : nil)
        guard let uri else {
            throw Failure(
                description: "\(path): '\(key)' uses the prefix '\(prefix)', which the @context does not declare")
        }
        if let existing = declared[prefix], existing != uri {
            throw Failure(description: "\(path): the prefix '\(prefix)' stands for \(existing) and for \(uri)")
        }
        declared[prefix] = uri
        return uri
    }

    /// Throws unless `name` is an XML name without a colon (an NCName, ASCII subset).
    private func name(_ name: String) throws {
        let ok =
            !name.isEmpty
            && name.unicodeScalars.enumerated().allSatisfy { i, c in
                c.properties.isAlphabetic || c == "_"
                    || (i > 0 && (c == "-" || c == "." || c.properties.numericType != nil))
            }
        if !ok { throw Failure(description: "\(path): '\(name)' cannot be an XML element or attribute name") }
    }

    private mutating func leaf(_ name: String, _ text: String, depth: Int, into out: inout String) throws {
        try check(text)
        out += String(repeating: "  ", count: depth) + "<\(name)>\(Self.escaped(text, attribute: false))</\(name)>\n"
    }

    /// Throws for a character XML 1.0 cannot carry (a control character other than tab, newline and return).
    private func check(_ text: String) throws {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && ![0x09, 0x0A, 0x0D].contains($0.value) }) {
            throw Failure(description: "\(path): a value holds a control character XML 1.0 cannot carry")
        }
    }

    // MARK: Values

    /// A bare CBV term in its CBV 1.x URN form, the form EPCIS XML systems read; any other value as it is.
    static func urn(_ value: String?, _ vocabulary: CBV.Vocabulary) -> String {
        guard let value else { return "" }
        guard let prefix = vocabulary.urnPrefix, vocabulary.terms.contains(value) else { return value }
        return prefix + value
    }

    /// A JSON number as an xsd:decimal (no exponent).
    static func decimal(_ value: JSONValue) -> String {
        let text = text(value)
        guard text.contains(where: { $0 == "e" || $0 == "E" }), let number = Double(text) else { return text }
        return number == number.rounded() && abs(number) < 1e15
            ? String(Int64(number)) : String(format: "%.17g", number).replacingOccurrences(of: "e", with: "E")
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: ""
        default: value.serialized
        }
    }

    static func escaped(_ text: String, attribute: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            case "\t" where attribute: out += "&#9;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
