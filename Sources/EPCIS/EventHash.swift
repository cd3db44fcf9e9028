import Crypto
import Foundation
import GS1Identifiers
import TransparencyLog

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
        uri(ofPreHash: preHashBytes(of: event, context: context, ignoring: ignoring))
    }

    /// What an event hash URI holds before its 64 lower-case hex digits, and after them.
    public static let uriPrefix = String(describing: uriHead)
    public static let uriSuffix = String(describing: uriTail)
    private static let uriHead: StaticString = "ni:///sha-256;"
    private static let uriTail: StaticString = "?ver=CBV2.0"

    /// The `ni:` URI of a pre-hash string.
    public static func uri(ofPreHash preHash: String) -> String {
        uri(ofPreHash: Array(preHash.utf8))
    }

    /// The `ni:` URI of a pre-hash string's UTF-8.
    static func uri(ofPreHash preHash: [UInt8]) -> String { uri(of: digest(ofPreHash: preHash)) }

    /// The SHA-256 digest of a pre-hash string's UTF-8: what an event hash URI holds in hex.
    package static func digest(ofPreHash preHash: [UInt8]) -> Hash { Hash.sha256(preHash) }

    /// The `ni:` URI of an event hash's digest.
    public static func uri(of digest: Hash) -> String { digest.hex(between: uriHead, and: uriTail) }

    /// The pre-hash string: `eventType=<type>`, the standard fields in CBV order, then everything else sorted.
    public static func preHash(of event: JSONValue, context: JSONLDContext, ignoring: Set<String> = []) -> String {
        String(decoding: preHashBytes(of: event, context: context, ignoring: ignoring), as: UTF8.self)
    }

    /// The pre-hash string's UTF-8, written into one buffer. Events of the common shape are written straight
    /// from their members unless `commonShape` is false (for tests that compare the two ways).
    static func preHashBytes(
        of event: JSONValue, context: JSONLDContext, ignoring: Set<String>, commonShape: Bool = true,
        canonicalForms: CanonicalForms = CanonicalForms(), validated: Validated? = nil
    ) -> [UInt8] {
        guard let members = event.members else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out += "eventType=".utf8
        if let type = event["type"]?.stringValue { out += type.utf8 }
        if commonShape,
            writeCommonShape(
                members, context: context, ignoring: ignoring, canonicalForms: canonicalForms, validated: validated,
                into: &out)
        {
            return out
        }
        var nodes = Node.children(of: members, context: context, skippingType: true)
        Node.correctStructure(&nodes)
        Node.expandBareTerms(&nodes)
        Node.writeOrdered(&nodes, order: eventOrder, forms: canonicalForms, into: &out)
        nodes.removeAll { ignoredFields.contains($0.name) || (!ignoring.isEmpty && ignoring.contains($0.name)) }
        Node.writeGeneric(nodes, forms: canonicalForms, into: &out)
        return out
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

        /// Whether a member is not part of the event's content: a skipped key or an `@xmlns` declaration.
        static func isSkipped(_ key: String) -> Bool {
            let first = key.utf8.first
            guard
                first == UInt8(ascii: "@") || first == UInt8(ascii: "c") || first == UInt8(ascii: "r")
                    || first == UInt8(ascii: "#")
            else { return false }
            return skippedKeys.contains(key) || key.utf8.starts(with: "@xmlns".utf8)
        }

        /// Whether `name` is one of EPCIS's own lists, whose items JSON leaves unnamed. A user extension's name
        /// ending in `List` (`{ns}resourceList`) is not: it reads the same in JSON as in XML, where its items have
        /// their own names.
        static func isStandardList(_ name: String) -> Bool {
            name.hasSuffixBytes("List") && name.utf8.first != UInt8(ascii: "{")
        }

        /// Whether `name` is one of the typed-reference lists.
        static func isTypedReferenceList(_ name: String) -> Bool {
            name.hasSuffixBytes("List") && typedReferenceLists.contains(name)
        }

        static func children(
            of members: [JSONValue.Member], context: JSONLDContext, skippingType: Bool = false
        ) -> [Node] {
            var nodes: [Node] = []
            nodes.reserveCapacity(members.count)
            for member in members where !isSkipped(member.key) {
                guard !skippingType || member.key != "type" else { continue }
                let name = context.expandedName(member.key)
                if case .array(let elements) = member.value {
                    for element in elements { nodes.append(node(name, element, context: context)) }
                } else {
                    nodes.append(node(name, member.value, context: context))
                }
            }
            return nodes
        }

        static func node(_ name: String, _ value: JSONValue, context: JSONLDContext) -> Node {
            switch value {
            case .null: Node(name: name, value: "None")
            case .bool(let flag): Node(name: name, value: flag ? "true" : "false")
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
            if nodes.isEmpty { return }
            guard nodes.contains(where: { isStandardList($0.name) || $0.name == "childEPCs" }) else {
                // Nothing to regroup at this level: only the parts below.
                for i in nodes.indices where !nodes[i].children.isEmpty || nodes[i].mayBeRenamed {
                    correctStructure(&nodes[i].children)
                    nodes[i].rename()
                }
                return
            }
            var lists: [String: [Node]] = [:]
            var listOrder: [String] = []
            var childEPCs: [Node] = []
            var kept: [Node] = []
            for node in nodes {
                if isStandardList(node.name) {
                    if lists[node.name] == nil { listOrder.append(node.name) }
                    var item = node
                    item.isTypedReference = isTypedReferenceList(node.name)
                    item.name = item.isTypedReference ? "" : String(node.name.dropLast(4))
                    if item.isTypedReference { item.children = typedReferenceParts(item.children) }
                    lists[node.name, default: []].append(item)
                } else if node.name == "childEPCs" {
                    childEPCs.append(Node(name: "epc", value: node.value))
                } else {
                    kept.append(node)
                }
            }
            // `listOrder` names only lists that were filled.
            for name in listOrder { kept.append(Node(name: name, value: "", children: lists[name]!)) }
            if !childEPCs.isEmpty { kept.append(Node(name: "childEPCs", value: "", children: childEPCs)) }
            for i in kept.indices where !isTypedReferenceList(kept[i].name) {
                correctStructure(&kept[i].children)
                kept[i].rename()
            }
            nodes = kept
        }

        /// Bare CBV and GS1 vocabulary terms as the URIs the JSON-LD context maps them to.
        static func expandBareTerms(_ nodes: inout [Node]) {
            for i in nodes.indices {
                switch nodes[i].name {
                case "bizStep": nodes[i].expand(Vocabulary.bizStep)
                case "disposition": nodes[i].expand(Vocabulary.disposition)
                case "persistentDisposition": nodes[i].expandChildren(Vocabulary.persistentDisposition)
                case "bizTransactionList":
                    for j in nodes[i].children.indices {
                        nodes[i].children[j].expandChildren(Vocabulary.bizTransaction)
                    }
                case "sourceList", "destinationList":
                    for j in nodes[i].children.indices {
                        nodes[i].children[j].expandChildren(Vocabulary.sourceDestination)
                    }
                case "sensorElementList":
                    for j in nodes[i].children.indices {
                        for k in nodes[i].children[j].children.indices
                        where nodes[i].children[j].children[k].name == "sensorReport" {
                            nodes[i].children[j].children[k].expandChildren(Vocabulary.sensorReport, curies: true)
                        }
                    }
                default: break
                }
            }
        }

        /// The namespaces of bare terms, by field.
        enum Vocabulary {
            static let cbv = "https://ref.gs1.org/cbv/"
            static let bizStep = cbv + "BizStep-"
            static let disposition = cbv + "Disp-"
            static let bizTransactionType = cbv + "BTT-"
            static let sourceDestinationType = cbv + "SDT-"
            static let persistentDisposition = ["set": disposition, "unset": disposition]
            static let bizTransaction = ["type": bizTransactionType]
            static let sourceDestination = ["type": sourceDestinationType]
            static let sensorReport = [
                "type": CBV.gs1VocabularyBase, "exception": CBV.gs1VocabularyBase, "component": cbv + "Comp-",
            ]
        }

        mutating func expand(_ prefix: String) {
            if !value.isEmpty, !value.utf8.contains(UInt8(ascii: ":")) { value = prefix + value }
        }

        /// With `curies`, a `gs1:` or `cbv:` CURIE is expanded too: the EPCIS context defines both prefixes, and
        /// the sensor report's vocabulary fields take terms of either (the XML binding writes `gs1:Temperature`).
        mutating func expandChildren(_ prefixes: [String: String], curies: Bool = false) {
            for i in children.indices {
                guard let prefix = prefixes[children[i].name] else { continue }
                children[i].expand(prefix)
                guard curies else { continue }
                if children[i].value.hasPrefixBytes("gs1:") {
                    children[i].value = CBV.gs1VocabularyBase + children[i].value.dropFirst(4)
                } else if children[i].value.hasPrefixBytes("cbv:") {
                    children[i].value = Vocabulary.cbv + children[i].value.dropFirst(4)
                }
            }
        }

        static func typedReferenceParts(_ parts: [Node]) -> [Node] {
            parts.filter { $0.name == "type" } + parts.filter { $0.name != "type" }
        }

        /// Whether `rename()` might change the name (a quick test on its first byte).
        var mayBeRenamed: Bool {
            let first = name.utf8.first
            return first == UInt8(ascii: "i") || first == UInt8(ascii: "o") || first == UInt8(ascii: "c")
                || first == UInt8(ascii: "q")
        }

        mutating func rename() {
            guard mayBeRenamed else { return }
            switch name {
            case "inputEPC", "outputEPC": name = "epc"
            case "inputQuantity", "outputQuantity", "childQuantity": name = "quantityElement"
            case "quantity" where !children.isEmpty: name = "quantityElement"
            default: break
            }
        }

        /// Writes the ordered fields of `nodes`, removing what it writes (CBV 2.0 §8.9.2 steps 2–4). User
        /// extensions inside a standard structure follow that structure's own fields. `forms` may hold the
        /// canonical Digital Links of identifiers among the values (those a validated event names).
        static func writeOrdered(
            _ nodes: inout [Node], order: [Order], forms: CanonicalForms, into out: inout [UInt8]
        ) {
            var extensions: [Node] = []
            if nodes.count > 1,
                !nodes.contains(where: { $0.name.containsBytes("eventTime") || $0.name.containsBytes("action") })
            {
                extensions = nodes.filter { $0.isExtension }
                nodes.removeAll { $0.isExtension }
            }
            for field in order {
                // A field's values are written one after another, then sorted among themselves.
                var values = Segments(start: out.count)
                var i = 0
                while i < nodes.count {
                    guard nodes[i].name.utf8.count == field.name.utf8.count, nodes[i].name == field.name else {
                        i += 1
                        continue
                    }
                    nodes[i].writeOrderedText(parts: field.parts, forms: forms, into: &out)
                    values.end(at: out.count)
                    if nodes[i].children.isEmpty { nodes.remove(at: i) } else { i += 1 }
                }
                values.sort(&out)
            }
            if !extensions.isEmpty { writeGeneric(extensions, forms: forms, into: &out) }
        }

        var isExtension: Bool { name.containsBytes("{") && name.containsBytes("/}") }

        /// Writes `name`, `=` and the value if it has one, then its ordered parts; nothing if it has neither.
        mutating func writeOrderedText(parts: [Order]?, forms: CanonicalForms, into out: inout [UInt8]) {
            let mark = out.count
            out += name.utf8
            let named = out.count
            let text = value.trimmingASCIIWhitespace()
            if !text.isEmpty {
                out.append(UInt8(ascii: "="))
                let isTime =
                    name.containsBytes("time", ignoringCase: true)
                    && !name.containsBytes("offset", ignoringCase: true)
                if isTime {
                    EventHash.writeUTCTime(text, into: &out)
                } else {
                    EventHash.writeCanonical(text, into: &out, canonicalForms: forms)
                }
            }
            if let parts { Node.writeOrdered(&children, order: parts, forms: forms, into: &out) }
            if out.count == named { out.removeSubrange(mark...) }
        }

        /// Writes everything not in the ordered fields: `name=value` and children, siblings sorted (CBV 2.0
        /// §8.9.2 step 5), except the parts of a typed reference.
        static func writeGeneric(_ nodes: [Node], forms: CanonicalForms, into out: inout [UInt8]) {
            let sorted = nodes.count > 1 && !nodes.contains { unsortedNames.contains($0.name) }
            var values = Segments(start: out.count)
            for node in nodes {
                if !node.isTypedReference {
                    out += node.name.utf8
                    let text = node.value.trimmingASCIIWhitespace()
                    if !text.isEmpty {
                        out.append(UInt8(ascii: "="))
                        EventHash.writeCanonical(text, into: &out, canonicalForms: forms)
                    }
                }
                writeGeneric(node.children, forms: forms, into: &out)
                if sorted { values.end(at: out.count) }
            }
            values.sort(&out)
        }
    }

    /// Consecutive runs of bytes in the pre-hash, written one after the other from `start`, that are to be put
    /// in code point (byte) order. Most fields have one value: the boundaries are kept only from the second.
    struct Segments {
        let start: Int
        /// Where the first two segments end; the others' ends are in `more`.
        private var first: Int?
        private var second: Int?
        private var more: [Int] = []

        init(start: Int) { self.start = start }

        /// Ends the current segment at `end` (an empty segment is no segment).
        mutating func end(at end: Int) {
            let last = more.last ?? second ?? first ?? start
            guard end > last else { return }
            if first == nil {
                first = end
            } else if second == nil {
                second = end
            } else {
                more.append(end)
            }
        }

        /// Puts the segments of `out` in byte order (the segments' bounds and the sorted bytes are kept in
        /// temporary memory: this runs for most events' fields).
        func sort(_ out: inout [UInt8]) {
            guard let first, let second else { return }
            let end = more.last ?? second
            withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 2 + more.count) { buffer in
                var ranges = buffer
                ranges[0] = start..<first
                ranges[1] = first..<second
                var previous = second
                for (offset, next) in more.enumerated() {
                    ranges[2 + offset] = previous..<next
                    previous = next
                }
                let moved = out.withUnsafeBufferPointer { bytes in
                    func precedes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
                        let common = min(a.count, b.count)
                        let order =
                            common == 0
                            ? 0 : memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, common)
                        return order < 0 || (order == 0 && a.count < b.count)
                    }
                    if zip(ranges, ranges.dropFirst()).allSatisfy({ !precedes($1, $0) }) { return false }
                    ranges.sort(by: precedes)
                    return true
                }
                guard moved else { return }
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end - start) { sorted in
                    var at = 0
                    out.withUnsafeBufferPointer { bytes in
                        for range in ranges {
                            (sorted.baseAddress! + at).initialize(
                                from: bytes.baseAddress! + range.lowerBound, count: range.count)
                            at += range.count
                        }
                    }
                    out.withUnsafeMutableBufferPointer { bytes in
                        (bytes.baseAddress! + start).update(from: sorted.baseAddress!, count: end - start)
                    }
                }
            }
        }
    }

    /// Writes a value's canonical form (see `canonical(_:)`). `canonicalForms` may already hold its Digital Link.
    static func writeCanonical(
        _ value: String, into out: inout [UInt8], canonicalForms: CanonicalForms = CanonicalForms()
    ) {
        if value.containsBytes("urn:epcglobal:cbv:") {
            out += canonical(value).utf8
        } else if let number = canonicalNumber(value) {
            out += number.utf8
        } else if let known = canonicalForms[value] {
            out += known.utf8
        } else if !DigitalLink.writeCanonicalURI(for: value, into: &out) {
            out += value.utf8
        }
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
        var text = text
        let isDecimal = text.withUTF8 { b in
            var i = 0
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            var digits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; digits += 1 }
            if i < b.count, b[i] == 0x2E {
                i += 1
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; digits += 1 }
            }
            guard digits > 0 else { return false }
            if i < b.count, b[i] | 0x20 == 0x65 {
                i += 1
                if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                var exponentDigits = 0
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1; exponentDigits += 1 }
                guard exponentDigits > 0 else { return false }
            }
            return i == b.count
        }
        guard isDecimal, let value = Double(text), value.isFinite else { return nil }
        if value == value.rounded() {
            if abs(value) < 9.2e18 { return String(Int64(value)) }
            return String(format: "%.0f", value)
        }
        return value.description
    }

    /// Writes a time as `YYYY-MM-DDThh:mm:ss.mmmZ` in UTC, milliseconds rounded half to even; text that is not a
    /// time stays as it is.
    static func writeUTCTime(_ text: String, into out: inout [UInt8]) {
        guard let time = Timestamp.parseDateTime(text, requireZone: false) else { return out += text.utf8 }
        Timestamp.write(millis: time.millis, into: &out)
    }
}
