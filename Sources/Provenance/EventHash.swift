import Crypto
import Foundation

/// The CBV 2.0 event hash (GS1 CBV 2.0 §8.9): `ni:///sha-256;<hex>?ver=CBV2.0`, the SHA-256 of a pre-hash
/// string that is the same for every serialisation of one event. Threadline uses it to find duplicates and
/// to name events across systems. The canonical form follows the reference implementation
/// (RalphTro/epcis-event-hash-generator) exactly as its published vectors pin it; `Specs/08-epcis.md` gives
/// every rule.
public enum EventHash {
    /// The event hash of `event` (an EPCIS event object), with CURIE prefixes from `context` and top-level
    /// fields in `ignoring` (expanded names, from a document's `ignoreFields`) left out.
    public static func of(
        _ event: JSONValue, context: JSONLDContext = JSONLDContext(), ignoring: Set<String> = []
    )
        -> String
    {
        uri(ofPreHash: preHash(of: event, context: context, ignoring: ignoring))
    }

    /// The `ni:` URI of a pre-hash string.
    public static func uri(ofPreHash preHash: String) -> String {
        let digest = SHA256.hash(data: Array(preHash.utf8))
        let hex = Array("0123456789abcdef".utf8)
        var out = Array("ni:///sha-256;".utf8)
        out.reserveCapacity(out.count + 64 + 11)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        out += Array("?ver=CBV2.0".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The pre-hash string: `eventType=<type>`, the standard fields in CBV order, then everything else sorted.
    public static func preHash(of event: JSONValue, context: JSONLDContext, ignoring: Set<String> = []) -> String {
        guard let members = event.members else { return "" }
        let eventType = event["type"]?.stringValue ?? ""
        var nodes = Node.children(of: members.filter { $0.key != "type" }, context: context)
        Node.correctStructure(&nodes)
        Node.expandBareTerms(&nodes)
        let ordered = Node.ordered(&nodes, order: eventOrder)
        let rest = nodes.filter { !ignoredFields.contains($0.name) && !ignoring.contains($0.name) }
        return "eventType=" + eventType + ordered + Node.generic(rest)
    }

    /// Top-level fields the hash leaves out (CBV 2.0 §8.9.2 step 1).
    static let ignoredFields: Set<String> = ["recordTime", "eventID", "errorDeclaration"]

    /// The order of the standard fields (CBV 2.0 §8.9.2), with the order of their parts.
    static let eventOrder: [Order] = {
        let quantity = Order("quantityElement", [Order("epcClass"), Order("quantity"), Order("uom")])
        let metadata = [
            "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules",
        ]
        let report = [
            "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
            "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
            "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
            "coordinateReferenceSystem",
        ]
        return [
            Order("eventTime"), Order("eventTimeZoneOffset"), Order("certificationInfo"), Order("parentID"),
            Order("epcList", [Order("epc")]), Order("inputEPCList", [Order("epc")]),
            Order("childEPCs", [Order("epc")]), Order("quantityList", [quantity]),
            Order("childQuantityList", [quantity]), Order("inputQuantityList", [quantity]),
            Order("outputEPCList", [Order("epc")]), Order("outputQuantityList", [quantity]), Order("action"),
            Order("transformationID"), Order("bizStep"), Order("disposition"),
            Order("persistentDisposition", [Order("set"), Order("unset")]), Order("readPoint", [Order("id")]),
            Order("bizLocation", [Order("id")]),
            Order(
                "sensorElementList",
                [
                    Order(
                        "sensorElement",
                        [
                            Order("sensorMetadata", metadata.map { Order($0) }),
                            Order("sensorReport", report.map { Order($0) }),
                        ])
                ]),
        ]
    }()

    struct Order: Sendable {
        let name: String
        let parts: [Order]?
        init(_ name: String, _ parts: [Order]? = nil) {
            self.name = name
            self.parts = parts
        }
    }

    /// One element of the event as the XML binding would have it: a name, a text value, child elements.
    struct Node {
        var name: String
        var value: String
        var children: [Node] = []
        /// A business transaction, source or destination: written as its parts, type first, never sorted.
        var isTypedReference = false

        /// Lists whose entries are typed references; they are never part of the ordered fields.
        static let typedReferenceLists: Set<String> = ["bizTransactionList", "sourceList", "destinationList"]
        static let unsortedNames: Set<String> = ["bizTransaction", "source", "destination"]

        /// Members that are not part of the event's content.
        static let skippedKeys: Set<String> = ["@context", "comment", "rdfs:comment", "#text"]

        static func children(of members: [JSONValue.Member], context: JSONLDContext) -> [Node] {
            var nodes: [Node] = []
            for member in members where !skippedKeys.contains(member.key) {
                guard !member.key.hasPrefix("@xmlns") else { continue }
                let name = context.expandedName(member.key)
                if case .array(let elements) = member.value {
                    nodes += elements.map { node(name, $0, context: context) }
                } else {
                    nodes.append(node(name, member.value, context: context))
                }
            }
            return nodes
        }

        static func node(_ name: String, _ value: JSONValue, context: JSONLDContext) -> Node {
            switch value {
            case .null: Node(name: name, value: "None")
            case .bool(let flag): Node(name: name, value: flag ? "True" : "False")
            case .number(let text): Node(name: name, value: text)
            case .string(let text): Node(name: name, value: context.expandedValue(text))
            case .array(let elements):
                Node(name: name, value: "", children: elements.map { node("", $0, context: context) })
            case .object(let members): Node(name: name, value: "", children: children(of: members, context: context))
            }
        }

        /// The JSON binding leaves out the XML binding's list item names; put them back, as the hash is defined
        /// over the XML shape: `epcList: [a, b]` is `epcList` with children `epc`, `childEPCs` likewise,
        /// quantity lists hold `quantityElement`s, and typed-reference lists hold their entries.
        static func correctStructure(_ nodes: inout [Node]) {
            var lists: [String: [Node]] = [:]
            var listOrder: [String] = []
            var childEPCs: [Node] = []
            var kept: [Node] = []
            for node in nodes {
                if node.name.utf8.suffix(4).elementsEqual("List".utf8) {
                    if lists[node.name] == nil { listOrder.append(node.name) }
                    var item = node
                    item.isTypedReference = typedReferenceLists.contains(node.name)
                    item.name = item.isTypedReference ? "" : String(node.name.dropLast(4))
                    if item.isTypedReference { item.children = typedReferenceParts(item.children) }
                    lists[node.name, default: []].append(item)
                } else if node.name == "childEPCs" {
                    childEPCs.append(Node(name: "epc", value: node.value))
                } else {
                    kept.append(node)
                }
            }
            for name in listOrder { kept.append(Node(name: name, value: "", children: lists[name]!)) }
            if !childEPCs.isEmpty { kept.append(Node(name: "childEPCs", value: "", children: childEPCs)) }
            for i in kept.indices where !typedReferenceLists.contains(kept[i].name) {
                correctStructure(&kept[i].children)
                kept[i].rename()
            }
            nodes = kept
        }

        /// Bare CBV and GS1 vocabulary terms as the URIs the JSON-LD context maps them to.
        static func expandBareTerms(_ nodes: inout [Node]) {
            let cbv = "https://ref.gs1.org/cbv/"
            for i in nodes.indices {
                switch nodes[i].name {
                case "bizStep": nodes[i].expand(cbv + "BizStep-")
                case "disposition": nodes[i].expand(cbv + "Disp-")
                case "persistentDisposition": nodes[i].expandChildren(["set": cbv + "Disp-", "unset": cbv + "Disp-"])
                case "bizTransactionList":
                    for j in nodes[i].children.indices { nodes[i].children[j].expandChildren(["type": cbv + "BTT-"]) }
                case "sourceList", "destinationList":
                    for j in nodes[i].children.indices { nodes[i].children[j].expandChildren(["type": cbv + "SDT-"]) }
                case "sensorElementList":
                    for j in nodes[i].children.indices {
                        for k in nodes[i].children[j].children.indices
                        where nodes[i].children[j].children[k].name == "sensorReport" {
                            nodes[i].children[j].children[k].expandChildren([
                                "type": CBV.gs1VocabularyBase, "exception": CBV.gs1VocabularyBase,
                                "component": cbv + "Comp-",
                            ])
                        }
                    }
                default: break
                }
            }
        }

        mutating func expand(_ prefix: String) {
            if !value.isEmpty, !value.utf8.contains(UInt8(ascii: ":")) { value = prefix + value }
        }

        mutating func expandChildren(_ prefixes: [String: String]) {
            for i in children.indices { if let prefix = prefixes[children[i].name] { children[i].expand(prefix) } }
        }

        static func typedReferenceParts(_ parts: [Node]) -> [Node] {
            parts.filter { $0.name == "type" } + parts.filter { $0.name != "type" }
        }

        mutating func rename() {
            switch name {
            case "inputEPC", "outputEPC": name = "epc"
            case "inputQuantity", "outputQuantity", "childQuantity": name = "quantityElement"
            case "quantity" where !children.isEmpty: name = "quantityElement"
            default: break
            }
        }

        /// The ordered fields of `nodes`, removing what it writes (CBV 2.0 §8.9.2 steps 2–4). User extensions
        /// inside a standard structure follow that structure's own fields.
        static func ordered(_ nodes: inout [Node], order: [Order]) -> String {
            var extensions: [Node] = []
            if nodes.count > 1,
                !nodes.contains(where: { $0.name.containsBytes("eventTime") || $0.name.containsBytes("action") })
            {
                extensions = nodes.filter { $0.isExtension }
                nodes.removeAll { $0.isExtension }
            }
            var out = ""
            for field in order {
                var values: [String] = []
                var i = 0
                while i < nodes.count {
                    guard nodes[i].name == field.name else {
                        i += 1
                        continue
                    }
                    let text = nodes[i].orderedText(parts: field.parts)
                    if !text.isEmpty { values.append(text) }
                    if nodes[i].children.isEmpty { nodes.remove(at: i) } else { i += 1 }
                }
                out += values.sorted(by: codePointOrder).joined()
            }
            if !extensions.isEmpty { out += generic(extensions) }
            return out
        }

        var isExtension: Bool { name.containsBytes("{") && name.containsBytes("/}") }

        mutating func orderedText(parts: [Order]?) -> String {
            let inner = parts.map { Node.ordered(&children, order: $0) } ?? ""
            var text = value.trimmingASCIIWhitespace()
            if !text.isEmpty {
                let isTime =
                    name.containsBytes("time", ignoringCase: true)
                    && !name.containsBytes("offset", ignoringCase: true)
                text = "=" + (isTime ? EventHash.utcTime(text) : canonical(text))
            }
            return text.isEmpty && inner.isEmpty ? "" : name + text + inner
        }

        /// Everything not in the ordered fields: `name=value` and children, siblings sorted (CBV 2.0 §8.9.2
        /// step 5), except the parts of a typed reference.
        static func generic(_ nodes: [Node]) -> String {
            var values = nodes.map { node -> String in
                if node.isTypedReference { return generic(node.children) }
                var text = node.value.trimmingASCIIWhitespace()
                if !text.isEmpty { text = "=" + canonical(text) }
                return node.name + text + generic(node.children)
            }
            if values.count > 1, !nodes.contains(where: { unsortedNames.contains($0.name) }) {
                values.sort(by: codePointOrder)
            }
            return values.joined()
        }

        static func codePointOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
    }

    /// A value's canonical form: CBV 1.x URNs as CBV 2.0 URIs, numbers without redundant digits, GS1 keys as
    /// canonical Digital Links.
    static func canonical(_ value: String) -> String {
        var text = value
        if text.containsBytes("urn:epcglobal:cbv:") {
            for (urn, web) in webVocabulary where text.containsBytes(urn) {
                text = text.replacingOccurrences(of: urn, with: web)
            }
        }
        if let number = canonicalNumber(text) { text = number }
        return DigitalLink.canonicalURI(for: text) ?? text
    }

    static let webVocabulary = [
        ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
        ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
        ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
        ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
        ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
    ]

    /// A decimal number written as the shortest text that reads back as the same binary64 value; an integral
    /// value without a fraction. Nil for text that is not a decimal number.
    static func canonicalNumber(_ text: String) -> String? {
        guard let first = text.utf8.first,
            first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: ".")
                || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9"))
        else { return nil }
        let b = Array(text.utf8)
        var i = 0
        if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
        var digits = 0
        while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; digits += 1 }
        if i < b.count, b[i] == 0x2E {
            i += 1
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if i < b.count, b[i] | 0x20 == 0x65 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            var exponentDigits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return nil }
        }
        guard i == b.count, let value = Double(text), value.isFinite else { return nil }
        if value == value.rounded() {
            if abs(value) < 9.2e18 { return String(Int64(value)) }
            return String(format: "%.0f", value)
        }
        return value.description
    }

    /// A time as `YYYY-MM-DDThh:mm:ss.mmmZ` in UTC, milliseconds rounded half to even; text that is not a
    /// time stays as it is.
    static func utcTime(_ text: String) -> String {
        guard let time = Timestamp.parseDateTime(text, requireZone: false) else { return text }
        return Timestamp.format(millis: time.millis)
    }
}

/// The CURIE prefixes a JSON-LD `@context` declares, for expanding `prefix:name` keys and values.
public struct JSONLDContext: Sendable, Hashable {
    /// Prefix to namespace URI.
    public private(set) var prefixes: [String: String] = [:]

    public init() {}

    /// Reads the prefixes of a `@context` (a string, an object or an array of them).
    public init(_ context: JSONValue?) {
        merge(context)
    }

    /// Adds the prefixes of another `@context` (an event's own), overriding those already known.
    public mutating func merge(_ context: JSONValue?) {
        switch context {
        case .array(let elements)?: elements.forEach { merge($0) }
        case .object(let members)?:
            for member in members where !member.key.hasPrefix("@") {
                if let uri = member.value.stringValue ?? member.value["@id"]?.stringValue { prefixes[member.key] = uri }
            }
        default: break
        }
    }

    /// `prefix:name` as `{namespace}name` (the XML binding's expanded name), or the key as it is.
    public func expandedName(_ key: String) -> String {
        guard let (uri, rest) = expansion(key) else { return key }
        return "{" + uri + "}" + rest
    }

    /// `prefix:rest` as `namespace` + `rest`, or the value as it is.
    public func expandedValue(_ value: String) -> String {
        guard let (uri, rest) = expansion(value) else { return value }
        return uri + rest
    }

    /// The namespace of `text`'s prefix, if declared, and the rest after the colon.
    private func expansion(_ text: String) -> (String, Substring)? {
        guard !prefixes.isEmpty, let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")),
            let uri = prefixes[String(Substring(text.utf8[..<colon]))]
        else { return nil }
        return (uri, Substring(text.utf8[text.utf8.index(after: colon)...]))
    }
}

extension String {
    /// Whether the UTF-8 of `needle` occurs in this string's UTF-8 (a byte search, without Foundation). With
    /// `ignoringCase`, `needle` must be lowercase ASCII letters, and ASCII letters here match either case.
    func containsBytes(_ needle: String, ignoringCase: Bool = false) -> Bool {
        var haystack = self
        var needle = needle
        let fold: UInt8 = ignoringCase ? 0x20 : 0
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard n.count <= h.count else { return false }
                if n.isEmpty { return true }
                var i = 0
                while i <= h.count - n.count {
                    var j = 0
                    while j < n.count && h[i + j] | fold == n[j] { j += 1 }
                    if j == n.count { return true }
                    i += 1
                }
                return false
            }
        }
    }

    func trimmingASCIIWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
        guard let first = utf8.first, let last = utf8.last else { return "" }
        if !isSpace(first) && !isSpace(last) { return self }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(Substring(utf8[start...end]))
    }
}
