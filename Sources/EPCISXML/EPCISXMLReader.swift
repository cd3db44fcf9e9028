import EPCIS

/// Reads EPCIS in its XML binding — 2.0 documents, query documents and single events, and 1.2 documents — as the
/// EPCIS 2.0 JSON-LD the rest of Threadline reads, signs and stores (`Specs/08-epcis.md` §6). Every problem is
/// collected, each with the line it is on. What the reader gives is then validated as any JSON-LD document is.
public struct EPCISXMLReader {
    /// A document read: its JSON-LD form, and the line each event starts on.
    public struct Document: Sendable {
        public let json: JSONValue
        public let eventLines: [Int]
        /// The problems of each event that could not be read, by its index (`readEach`).
        public var eventProblems: [Int: [EPCISProblem]] = [:]
        /// `1.2` or `2.0`: the binding the input was written in.
        public let version: String
    }

    /// Reads `bytes`. With `anyOrder`, the fields of an event may come in any order (the 2.0 schema orders
    /// them); an unknown or repeated field is refused all the same. Any problem, of the document or of one event,
    /// refuses the whole.
    public static func read(_ bytes: [UInt8], anyOrder: Bool = false) throws(EPCISValidationError) -> Document {
        let document = try readEach(bytes, anyOrder: anyOrder)
        let problems = document.eventProblems.keys.sorted().flatMap { document.eventProblems[$0] ?? [] }
        guard problems.isEmpty else { throw EPCISValidationError(problems: problems) }
        return document
    }

    /// Reads `bytes` as `read` does, but an event with problems does not refuse the others: it stands in the
    /// document's event list as an object with its type alone, and its problems are in `eventProblems` under its
    /// index — so an import can record the others (`--continue-on-error`). A problem of the document itself still
    /// refuses the whole.
    public static func readEach(_ bytes: [UInt8], anyOrder: Bool = false) throws(EPCISValidationError) -> Document {
        // The events are mapped as each ends (`take`): a document's tree never holds more than one event.
        final class Taking {
            var reader: EPCISXMLReader
            init(_ reader: EPCISXMLReader) { self.reader = reader }
        }
        let taking = Taking(EPCISXMLReader(anyOrder: anyOrder))
        let (root, prefixes) = try XMLTree.parse(bytes) { taking.reader.take($0, open: $1, declared: $2) }
        var reader = taking.reader
        reader.namespaces.declarable = prefixes
        let document = reader.document(root)
        guard reader.problems.isEmpty, let document else { throw EPCISValidationError(problems: reader.problems) }
        return document
    }

    /// The namespaces of the 1.2 and 2.0 bindings.
    static let epcis1 = "urn:epcglobal:epcis:xsd:1", epcis2 = "urn:epcglobal:epcis:xsd:2"
    static let query1 = "urn:epcglobal:epcis-query:xsd:1", query2 = "urn:epcglobal:epcis-query:xsd:2"

    private let anyOrder: Bool
    private var problems: [EPCISProblem] = []
    private var namespaces = Namespaces()
    /// Whether the input is EPCIS 1.2 (its `extension` wrappers are where 2.0 puts fields directly).
    private var legacy = false
    /// The events of the event list `document` reads, mapped as their elements ended (`take`).
    private var taken = Events()

    /// Events read, in order: each one's JSON (its type alone if it has problems), its line, and the problems of
    /// those that have any, by index.
    private struct Events {
        var list: XMLNode?
        var json: [JSONValue] = []
        var lines: [Int] = []
        var problems: [Int: [EPCISProblem]] = [:]
    }

    private init(anyOrder: Bool) {
        self.anyOrder = anyOrder
    }

    private mutating func problem(_ node: XMLNode, _ path: String, _ code: String, _ message: String) {
        problems.append(EPCISProblem(path: "line \(node.line), \(path)", code: "epcis." + code, message: message))
    }

    // MARK: Documents

    private mutating func document(_ root: XMLNode) -> Document? {
        let epcisNamespaces = [Self.epcis1, Self.epcis2]
        if root.namespace.isEmpty || epcisNamespaces.contains(root.namespace),
            EPCISEvent.Kind(rawValue: root.name) != nil
        {
            // An event on its own says its version by its namespace, or by 1.2's wrappers.
            legacy =
                root.namespace == Self.epcis1
                || root.children.contains { $0.namespace.isEmpty && ["extension", "baseExtension"].contains($0.name) }
            guard let event = event(root) else { return nil }
            let members = [JSONValue.Member("@context", namespaces.context)] + (event.members ?? [])
            return Document(json: .object(members), eventLines: [root.line], version: legacy ? "1.2" : "2.0")
        }
        let isQuery = root.name == "EPCISQueryDocument" && [Self.query1, Self.query2].contains(root.namespace)
        guard isQuery || (root.name == "EPCISDocument" && [Self.epcis1, Self.epcis2].contains(root.namespace))
        else {
            problem(
                root, root.qualifiedName, "xml.document",
                "the root element is {\(root.namespace)}\(root.name); EPCIS XML is an EPCISDocument or"
                    + " EPCISQueryDocument in \(Self.epcis2) (2.0) or \(Self.epcis1) (1.2), or one event")
            return nil
        }
        legacy = root.namespace == Self.epcis1 || root.namespace == Self.query1
        let version = legacy ? "1.2" : "2.0"
        if let declared = root.attribute("schemaVersion"), declared.hasPrefix(legacy ? "2" : "1") {
            problem(
                root, "schemaVersion", "xml.version",
                "schemaVersion \(declared) in the namespace of EPCIS \(version)")
        }
        var list: XMLNode?
        var results: [JSONValue.Member] = []
        var ignored: [JSONValue.Member] = ignoreFields(root)
        if isQuery {
            // EPCISBody/QueryResults/resultsBody/EventList; some writers leave out the body or QueryResults.
            let body = root.children.first { $0.name == "EPCISBody" } ?? root
            let queryResults = body.children.first { $0.name == "QueryResults" } ?? body
            for child in queryResults.children where ["queryName", "subscriptionID"].contains(child.name) {
                results.append(.init(child.name, .string(child.text)))
            }
            guard let resultsBody = queryResults.children.first(where: { $0.name == "resultsBody" }) else {
                problem(root, root.name, "xml.element", "a query document has no QueryResults/resultsBody")
                return nil
            }
            if body.name == "EPCISBody" { ignored += ignoreFields(body) }
            list = atMostOne("EventList", in: resultsBody, path: "resultsBody") { $0.name == "EventList" }
        } else {
            guard let body = only("EPCISBody", in: root, path: root.name) else { return nil }
            ignored += ignoreFields(body)
            list = atMostOne("EventList", in: body, path: "EPCISBody") {
                $0.name == "EventList" && $0.namespace.isEmpty
            }
        }
        // The list's events taken as they ended, then any left in it (none, when the parse offered them).
        var events = list != nil && taken.list === list ? taken : Events()
        for node in eventNodes(list) { read(node, into: &events) }
        var eventList = JSONValue.Member("eventList", .array(events.json))
        if isQuery {
            eventList = .init("queryResults", .object(results + [.init("resultsBody", .object([eventList]))]))
        }
        var members: [JSONValue.Member] = [
            .init("@context", namespaces.context),
            .init("type", .string(isQuery ? "EPCISQueryDocument" : "EPCISDocument")),
            .init("schemaVersion", .string("2.0")),
        ]
        if let created = root.attribute("creationDate") { members.append(.init("creationDate", .string(created))) }
        members += ignored
        members.append(.init("epcisBody", .object([eventList])))
        var document = Document(json: .object(members), eventLines: events.lines, version: version)
        document.eventProblems = events.problems
        return document
    }

    /// Reads one event of the list into `events`; one with problems keeps its place with its type alone, its
    /// problems its own.
    private mutating func read(_ node: XMLNode, into events: inout Events) {
        let before = problems.count
        if let event = event(node) {
            events.json.append(event)
        } else {
            events.problems[events.json.count] = Array(problems[before...])
            problems.removeSubrange(before...)
            events.json.append(.object([.init("type", .string(node.name))]))
        }
        events.lines.append(node.line)
    }

    /// Offered each element as it ends (`XMLTree.Taker`): an event of the event list `document` reads is read
    /// there and then, and taken out of the tree. Any other element is left where it is.
    private mutating func take(_ node: XMLNode, open: [XMLNode], declared: [String: String]) -> Bool {
        guard node.namespace.isEmpty, EPCISEvent.Kind(rawValue: node.name) != nil,
            let list = Self.eventList(around: open), taken.list.map({ $0 === list }) ?? true
        else { return false }
        if taken.list == nil {
            taken.list = list
            legacy = open[0].namespace == Self.epcis1 || open[0].namespace == Self.query1
        }
        // A sensor report's CURIE takes a prefix declared before its event ends.
        namespaces.declarable = declared
        // Moved out and back, not copied: reading appends to arrays only `taken` holds.
        var events = Events()
        swap(&events, &taken)
        read(node, into: &events)
        taken = events
        return true
    }

    /// The event list an element ending inside `open` is in, if it is the one `document` reads: the first
    /// `EventList` in the first `EPCISBody` of an EPCIS document, or in the first `resultsBody` of the first
    /// `QueryResults` in a query document's first `EPCISBody` — the element in it directly, or in 1.2's `extension`
    /// wrappers. Nil for any other place, whose elements `document` finds in the tree.
    private static func eventList(around open: [XMLNode]) -> XMLNode? {
        guard let root = open.first else { return nil }
        var path = open[...]
        while let last = path.last, last.namespace.isEmpty, last.name == "extension" { path = path.dropLast() }
        let names: [String]
        if root.name == "EPCISDocument", root.namespace == epcis2 || root.namespace == epcis1 {
            names = ["EPCISBody", "EventList"]
        } else if root.name == "EPCISQueryDocument", root.namespace == query2 || root.namespace == query1 {
            names = ["EPCISBody", "QueryResults", "resultsBody", "EventList"]
        } else {
            return nil
        }
        guard path.count == names.count + 1 else { return nil }
        for (depth, name) in names.enumerated() {
            let (parent, node) = (path[depth], path[depth + 1])
            // Each the first so named in its parent: no earlier one has ended there.
            guard node.name == name, node.namespace.isEmpty, !parent.children.contains(where: { $0.name == name })
            else { return nil }
        }
        return path.last
    }

    /// The single child `name` of `node`, or a problem.
    private mutating func only(_ name: String, in node: XMLNode, path: String) -> XMLNode? {
        let found = node.children.filter { $0.name == name && $0.namespace.isEmpty }
        guard found.count == 1 else {
            problem(node, path, "xml.element", "\(path) has \(found.count) <\(name)> elements; it needs one")
            return nil
        }
        return found[0]
    }

    /// The first child of `node` that `matches`, and a problem if another does: a second event list would be
    /// left unread.
    private mutating func atMostOne(
        _ name: String, in node: XMLNode, path: String, where matches: (XMLNode) -> Bool
    ) -> XMLNode? {
        let found = node.children.filter(matches)
        if found.count > 1 {
            problem(found[1], path, "xml.element", "\(path) has \(found.count) <\(name)> elements; it holds one")
        }
        return found.first
    }

    /// A repository's `<prefix:ignoreFields>` list of fields its hashes leave out, as JSON-LD's
    /// `prefix:ignoreFields` array of names (08 §2).
    private mutating func ignoreFields(_ holder: XMLNode) -> [JSONValue.Member] {
        holder.children.filter { !$0.namespace.isEmpty && $0.name == "ignoreFields" }.compactMap { node in
            guard let key = namespaces.key(node.namespace, node.prefix, node.name) else { return nil }
            return JSONValue.Member(
                key,
                .array(
                    node.children.compactMap { namespaces.key($0.namespace, $0.prefix, $0.name).map(JSONValue.string) })
            )
        }
    }

    /// The events of an `EventList`: in 1.2, TransformationEvent and AssociationEvent come inside `extension`.
    private mutating func eventNodes(_ list: XMLNode?) -> [XMLNode] {
        var events: [XMLNode] = []
        for node in list?.children ?? [] {
            if node.namespace.isEmpty, node.name == "extension" {
                events += eventNodes(node)
            } else if node.namespace.isEmpty, EPCISEvent.Kind(rawValue: node.name) != nil {
                events.append(node)
            } else if node.name == "QuantityEvent" {
                problem(
                    node, node.name, "xml.element",
                    "QuantityEvent was withdrawn in EPCIS 2.0; an ObjectEvent with a quantityList says the same")
            } else if !node.namespace.isEmpty {
                continue  // another party's extension of the event list: not an event
            } else {
                problem(node, "EventList/\(node.name)", "xml.element", "<\(node.name)> is not an EPCIS event")
            }
        }
        return events
    }

    // MARK: Events

    /// The 2.0 schema's order of an event's fields (EPCIS 2.0 XSD, `EPCISEventType` and each event type).
    static let commonOrder = [
        "eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration", "certificationInfo",
        "baseExtension",
    ]
    static let place = ["readPoint", "bizLocation"]
    static let order: [EPCISEvent.Kind: [String]] = [
        .object: [
            "epcList", "action", "bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList",
            "quantityList", "sourceList", "destinationList", "sensorElementList", "persistentDisposition", "ilmd",
        ],
        .aggregation: [
            "parentID", "childEPCs", "action", "bizStep", "disposition", "readPoint", "bizLocation",
            "bizTransactionList", "childQuantityList", "sourceList", "destinationList", "sensorElementList",
            "persistentDisposition",
        ],
        .transaction: [
            "bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition", "readPoint",
            "bizLocation", "quantityList", "sourceList", "destinationList", "sensorElementList",
            "persistentDisposition",
        ],
        .transformation: [
            "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList", "transformationID",
            "bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList", "sourceList",
            "destinationList", "sensorElementList", "persistentDisposition", "ilmd",
        ],
        .association: [
            "parentID", "childEPCs", "childQuantityList", "action", "bizStep", "disposition", "readPoint",
            "bizLocation", "bizTransactionList", "sourceList", "destinationList", "sensorElementList",
            "persistentDisposition",
        ],
    ]

    /// Every field an event of some kind may have: `extension` and `baseExtension` are wrappers.
    static let fields = Set(commonOrder + order.values.joined() + ["extension"])

    /// Each kind's fields by their place in the 2.0 schema's order (`extension` last), looked up once a field.
    /// The fields, numbered: an element's number (`XMLNode.field`) is found once for each name the parser meets,
    /// and the mapping then works with numbers, not names.
    static let fieldNames: [String] = fields.sorted()
    static let fieldNumbers: [String: Int] = Dictionary(
        uniqueKeysWithValues: fieldNames.enumerated().map { ($1, $0) })

    /// The numbers of the fields the mapping treats on their own, so that it compares numbers, not names.
    private enum Field {
        /// A name of `fields`' number (-2, which no element has, could only be a name missing from it).
        static func number(_ name: String) -> Int { fieldNumbers[name] ?? -2 }
        static let (bizStep, disposition, readPoint, bizLocation) = (
            number("bizStep"), number("disposition"), number("readPoint"), number("bizLocation")
        )
        static let (epcList, childEPCs, inputEPCList, outputEPCList) = (
            number("epcList"), number("childEPCs"), number("inputEPCList"), number("outputEPCList")
        )
        static let (quantityList, childQuantityList, inputQuantityList, outputQuantityList) = (
            number("quantityList"), number("childQuantityList"), number("inputQuantityList"),
            number("outputQuantityList")
        )
        static let (bizTransactionList, sourceList, destinationList) = (
            number("bizTransactionList"), number("sourceList"), number("destinationList")
        )
        static let (persistentDisposition, errorDeclaration, sensorElementList, ilmd) = (
            number("persistentDisposition"), number("errorDeclaration"), number("sensorElementList"),
            number("ilmd")
        )
        static let (eventTime, recordTime, certificationInfo) = (
            number("eventTime"), number("recordTime"), number("certificationInfo")
        )
        static let (wrapper, baseExtension) = (number("extension"), number("baseExtension"))
    }

    /// Each kind's place in the schema's order for each field number (`extension` last), -1 for a field the
    /// kind does not have.
    static let ranks: [EPCISEvent.Kind: [Int]] = order.mapValues { kindOrder in
        let sequence = commonOrder + kindOrder + ["extension"]
        return fieldNames.map { sequence.firstIndex(of: $0) ?? -1 }
    }

    private mutating func event(_ node: XMLNode) -> JSONValue? {
        guard let kind = EPCISEvent.Kind(rawValue: node.name) else { return nil }
        let before = problems.count
        if !legacy && !anyOrder { checkOrder(node, kind: kind) }
        var members: [JSONValue.Member] = [.init("type", .string(kind.rawValue))]
        members.reserveCapacity(node.children.count + 1)
        var extensions = Extensions()
        var certificates: [JSONValue] = []
        var seen: UInt64 = 0
        for child in fields(of: node) {
            // Made only for a problem: most events have none.
            let path = { "\(node.name)/\(child.name)" }
            guard child.namespace.isEmpty else {
                if let value = extensionMember(child) { extensions.add(value.key, value.value) }
                continue
            }
            guard child.field >= 0 else {
                problem(child, path(), "xml.element", "<\(child.name)> is not a field of an EPCIS \(node.name)")
                continue
            }
            if child.field == Field.certificationInfo {
                certificates.append(.string(Self.anyURI(child.text)))
                continue
            }
            let bit = UInt64(1) << UInt64(child.field)
            guard seen & bit == 0 else {
                problem(child, path(), "xml.element", "<\(child.name)> appears more than once")
                continue
            }
            seen |= bit
            if let value = field(child, path: path()) { members.append(.init(child.name, value)) }
        }
        if !certificates.isEmpty {
            members.append(.init("certificationInfo", certificates.count == 1 ? certificates[0] : .array(certificates)))
        }
        members += extensions.members
        return problems.count == before ? .object(members) : nil
    }

    /// An event's fields, its 1.2 `baseExtension` and `extension` wrappers (and 2.0's `extension`) opened.
    private func fields(of node: XMLNode) -> [XMLNode] {
        // Most elements have no wrapper: their children as they are, with no new array.
        func isWrapper(_ child: XMLNode) -> Bool {
            (child.field == Field.wrapper || child.field == Field.baseExtension) && child.namespace.isEmpty
        }
        guard node.children.contains(where: isWrapper) else { return node.children }
        return node.children.flatMap { child in isWrapper(child) ? fields(of: child) : [child] }
    }

    /// The 2.0 schema's order: each field after those the schema puts before it; extensions last.
    private mutating func checkOrder(_ node: XMLNode, kind: EPCISEvent.Kind) {
        let ranks = Self.ranks[kind] ?? []
        var last: (rank: Int, node: XMLNode)?
        for child in node.children {
            let rank = child.namespace.isEmpty ? (child.field >= 0 ? ranks[child.field] : -1) : ranks.count
            guard rank >= 0 else { continue }  // an unknown field: refused when it is read
            if let previous = last, rank < previous.rank {
                let sequence = Self.commonOrder + (Self.order[kind] ?? []) + ["extension"]
                problem(
                    child, "\(node.name)/\(child.qualifiedName)", "xml.order",
                    "<\(child.qualifiedName)> comes after <\(previous.node.qualifiedName)>; EPCIS 2.0 XML orders a \(node.name)'s"
                        + " fields \(sequence.joined(separator: ", ")), then extensions (read with --any-order to"
                        + " take them as they come)")
                return
            }
            last = (rank, child)
        }
    }

    /// One standard field's JSON value.
    private mutating func field(_ node: XMLNode, path: @autoclosure () -> String) -> JSONValue? {
        switch node.field {
        case Field.bizStep: return .string(Self.term(node.text, CBV.bizStep))
        case Field.disposition: return .string(Self.term(node.text, CBV.disposition))
        case Field.epcList, Field.childEPCs, Field.inputEPCList, Field.outputEPCList:
            return .array(list(node, of: "epc", path: path()).map { .string($0.text) })
        case Field.quantityList, Field.childQuantityList, Field.inputQuantityList, Field.outputQuantityList:
            return .array(list(node, of: "quantityElement", path: path()).compactMap { quantity($0, path: path()) })
        case Field.readPoint, Field.bizLocation: return place(node, path: path())
        case Field.bizTransactionList:
            return typed(node, "bizTransaction", CBV.bizTransactionType, path: path())
        case Field.sourceList: return typed(node, "source", CBV.sourceDestinationType, path: path())
        case Field.destinationList: return typed(node, "destination", CBV.sourceDestinationType, path: path())
        case Field.persistentDisposition:
            var members: [JSONValue.Member] = []
            for name in ["set", "unset"] {
                let values = node.children.filter { $0.name == name }
                if !values.isEmpty {
                    members.append(.init(name, .array(values.map { .string(Self.term($0.text, CBV.disposition)) })))
                }
            }
            for child in node.children where !["set", "unset"].contains(child.name) {
                problem(child, "\(path())/\(child.name)", "xml.element", "persistentDisposition holds set and unset")
            }
            return .object(members)
        case Field.errorDeclaration: return errorDeclaration(node, path: path())
        case Field.sensorElementList:
            return .array(list(node, of: "sensorElement", path: path()).compactMap { sensorElement($0, path: path()) })
        case Field.ilmd:
            var extensions = Extensions()
            for child in fields(of: node) {
                if let value = extensionMember(child) {
                    extensions.add(value.key, value.value)
                } else {
                    problem(child, "\(path())/\(child.name)", "xml.element", "ilmd holds namespaced elements only")
                }
            }
            return .object(extensions.members)
        case Field.eventTime, Field.recordTime: return .string(time(node.text))
        default: return .string(node.text)
        }
    }

    /// A time as written; in a 1.2 document, a time without seconds (`2006-11-07T13:00Z`, which 1.2 systems in
    /// service write though the schema asks for seconds) gains `:00`.
    private func time(_ text: String) -> String {
        guard legacy else { return text }
        let bytes = Array(text.utf8)
        guard bytes.count > 16, bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            [UInt8(ascii: "Z"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[16])
        else { return text }
        return String(decoding: bytes[..<16], as: UTF8.self) + ":00" + String(decoding: bytes[16...], as: UTF8.self)
    }

    /// The children of a list element, each named `element`.
    private mutating func list(_ node: XMLNode, of element: String, path: @autoclosure () -> String) -> [XMLNode] {
        // Most lists hold their items alone: the children as they are, with no new array.
        if node.children.allSatisfy({ $0.namespace.isEmpty && $0.name == element }) { return node.children }
        var items: [XMLNode] = []
        for child in node.children {
            if child.namespace.isEmpty && child.name == element {
                items.append(child)
            } else if !(child.namespace.isEmpty && child.name == "extension") {
                problem(child, "\(path())/\(child.qualifiedName)", "xml.element", "<\(node.name)> holds <\(element)>")
            }
        }
        return items
    }

    /// Whether `child` is the first of its name among the fields `seen` so far; a second one is a problem.
    private mutating func first(_ child: XMLNode, _ seen: inout [String], path: @autoclosure () -> String) -> Bool {
        guard !seen.contains(child.name) else {
            problem(child, "\(path())/\(child.name)", "xml.element", "<\(child.name)> appears more than once")
            return false
        }
        seen.append(child.name)
        return true
    }

    private mutating func quantity(_ node: XMLNode, path: @autoclosure () -> String) -> JSONValue? {
        var members: [JSONValue.Member] = []
        var seen: [String] = []
        for child in node.children {
            if child.namespace.isEmpty, !first(child, &seen, path: path()) { return nil }
            switch child.namespace.isEmpty ? child.name : "" {
            case "epcClass", "uom": members.append(.init(child.name, .string(child.text)))
            case "quantity":
                if child.attributes.contains(where: { $0.name == "nil" && $0.value == "true" }) { continue }
                guard let number = Self.number(child.text) else {
                    problem(child, "\(path())/quantity", "xml.value", "quantity '\(child.text)' is not a number")
                    return nil
                }
                members.append(.init("quantity", number))
            default:
                problem(
                    child, "\(path())/\(child.qualifiedName)", "xml.element",
                    "a quantityElement holds epcClass,"
                        + " quantity and uom")
                return nil
            }
        }
        return .object(members)
    }

    private mutating func place(_ node: XMLNode, path: @autoclosure () -> String) -> JSONValue {
        var members: [JSONValue.Member] = []
        var extensions = Extensions()
        var seen: [String] = []
        for child in fields(of: node) {
            if child.namespace.isEmpty, child.name == "id" {
                if first(child, &seen, path: path()) { members.append(.init("id", .string(child.text))) }
            } else if let value = extensionMember(child) {
                extensions.add(value.key, value.value)
            } else {
                problem(child, "\(path())/\(child.name)", "xml.element", "<\(node.name)> holds an id and extensions")
            }
        }
        return .object(members + extensions.members)
    }

    private mutating func typed(
        _ node: XMLNode, _ element: String, _ vocabulary: CBV.Vocabulary, path: @autoclosure () -> String
    ) -> JSONValue {
        .array(
            list(node, of: element, path: path()).map { child in
                var members: [JSONValue.Member] = []
                if let type = child.attribute("type") {
                    members.append(.init("type", .string(Self.term(type, vocabulary))))
                }
                members.append(.init(element, .string(child.text)))
                return .object(members)
            })
    }

    private mutating func errorDeclaration(_ node: XMLNode, path: @autoclosure () -> String) -> JSONValue {
        var members: [JSONValue.Member] = []
        var extensions = Extensions()
        var seen: [String] = []
        for child in fields(of: node) {
            if child.namespace.isEmpty, ["declarationTime", "reason", "correctiveEventIDs"].contains(child.name),
                !first(child, &seen, path: path())
            {
                continue
            }
            switch child.namespace.isEmpty ? child.name : "" {
            case "declarationTime": members.append(.init("declarationTime", .string(time(child.text))))
            case "reason": members.append(.init("reason", .string(Self.term(child.text, CBV.errorReason))))
            case "correctiveEventIDs":
                members.append(
                    .init(
                        "correctiveEventIDs",
                        .array(list(child, of: "correctiveEventID", path: path()).map { .string($0.text) })))
            default:
                if let value = extensionMember(child) {
                    extensions.add(value.key, value.value)
                } else {
                    problem(
                        child, "\(path())/\(child.name)", "xml.element", "<\(child.name)> is not in an errorDeclaration"
                    )
                }
            }
        }
        return .object(members + extensions.members)
    }

    // MARK: Sensor data

    static let numericAttributes: Set<String> = [
        "value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
    ]
    static let metadataAttributes: Set<String> = [
        "time", "deviceID", "deviceMetadata", "rawData", "startTime", "endTime", "bizRules", "dataProcessingMethod",
    ]
    static let reportAttributes: Set<String> = numericAttributes.union([
        "type", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue", "uom",
        "chemicalSubstance", "microorganism", "deviceID", "deviceMetadata", "rawData", "time",
        "dataProcessingMethod", "coordinateReferenceSystem", "exception", "bizRules",
    ])

    private mutating func sensorElement(_ node: XMLNode, path: @autoclosure () -> String) -> JSONValue? {
        var members: [JSONValue.Member] = []
        var reports: [JSONValue] = []
        var extensions = Extensions()
        var seen: [String] = []
        for child in fields(of: node) {
            if child.namespace.isEmpty, child.name == "sensorMetadata", !first(child, &seen, path: path()) { continue }
            switch child.namespace.isEmpty ? child.name : "" {
            case "sensorMetadata":
                members.append(.init("sensorMetadata", sensorAttributes(child, Self.metadataAttributes, path: path())))
            case "sensorReport": reports.append(sensorAttributes(child, Self.reportAttributes, path: path()))
            default:
                if let value = extensionMember(child) {
                    extensions.add(value.key, value.value)
                } else {
                    problem(
                        child, "\(path())/\(child.name)", "xml.element", "<\(child.name)> is not in a sensorElement")
                }
            }
        }
        members.append(.init("sensorReport", .array(reports)))
        return .object(members + extensions.members)
    }

    /// A sensorMetadata or sensorReport: its attributes as members, typed as the schema types them.
    private mutating func sensorAttributes(
        _ node: XMLNode, _ allowed: Set<String>, path: @autoclosure () -> String
    ) -> JSONValue {
        var members: [JSONValue.Member] = []
        for attribute in node.attributes {
            guard attribute.namespace.isEmpty else {
                if let key = namespaces.key(attribute.namespace, attribute.prefix, attribute.name) {
                    members.append(.init(key, .string(attribute.value)))
                }
                continue
            }
            let name = attribute.name
            guard allowed.contains(name) else {
                problem(
                    node, "\(path())/\(node.name)/@\(name)", "xml.attribute", "\(node.name) has no attribute \(name)")
                continue
            }
            if Self.numericAttributes.contains(name) {
                guard let number = Self.number(attribute.value) else {
                    problem(
                        node, "\(path())/\(node.name)/@\(name)", "xml.value",
                        "\(name) '\(attribute.value)' is not a number")
                    continue
                }
                members.append(.init(name, number))
            } else if name == "booleanValue" {
                switch attribute.value {
                case "true", "1": members.append(.init(name, .bool(true)))
                case "false", "0": members.append(.init(name, .bool(false)))
                default:
                    problem(node, "\(path())/\(node.name)/@\(name)", "xml.value", "booleanValue is true or false")
                }
            } else if name == "component" {
                let value = Self.term(attribute.value, CBV.component)
                namespaces.noteCURIE(value)
                members.append(.init(name, .string(value)))
            } else if name == "type" || name == "exception", attribute.value.hasPrefix("gs1:") {
                members.append(.init(name, .string(String(attribute.value.dropFirst(4)))))
            } else if name == "type" || name == "exception" {
                namespaces.noteCURIE(attribute.value)
                members.append(.init(name, .string(attribute.value)))
            } else {
                members.append(.init(name, .string(attribute.value)))
            }
        }
        return .object(members)
    }

    // MARK: Extensions

    /// A user extension element as a JSON member: `prefix:name`, with an object for an element with children or
    /// attributes (its text then under `rdf:value`), else its text. Nil for an unqualified element.
    private mutating func extensionMember(_ node: XMLNode, inside: Bool = false) -> (key: String, value: JSONValue)? {
        guard let key = namespaces.key(node.namespace, node.prefix, node.name) ?? (inside ? node.name : nil)
        else { return nil }
        let attributes = node.attributes.filter { $0.namespace != Namespaces.xsi }
        guard !attributes.isEmpty || !node.children.isEmpty else { return (key, .string(node.text)) }
        var members = Extensions()
        for attribute in attributes {
            // An attribute without a prefix belongs to its element: it takes the element's namespace.
            let namespace = attribute.namespace.isEmpty ? node.namespace : attribute.namespace
            let prefix = attribute.namespace.isEmpty ? node.prefix : attribute.prefix
            members.add(namespaces.key(namespace, prefix, attribute.name) ?? attribute.name, .string(attribute.value))
        }
        if node.children.isEmpty, !node.text.isEmpty, let value = namespaces.key(Namespaces.rdf, "rdf", "value") {
            members.add(value, .string(node.text))
        }
        for child in node.children {
            // Inside an extension, an element without a namespace is named as it is.
            if let member = extensionMember(child, inside: true) { members.add(member.key, member.value) }
        }
        return (key, .object(members.members))
    }

    /// Members in order of first appearance; a name that repeats becomes an array.
    struct Extensions {
        /// Names in order of first appearance, each with its values: few, so found by a linear search.
        private var entries: [(key: String, values: [JSONValue])] = []

        mutating func add(_ key: String, _ value: JSONValue) {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                entries[i].values.append(value)
            } else {
                entries.append((key, [value]))
            }
        }

        var members: [JSONValue.Member] {
            entries.map { JSONValue.Member($0.key, $0.values.count == 1 ? $0.values[0] : .array($0.values)) }
        }
    }

    // MARK: Values

    /// ASCII a URI cannot hold unescaped, besides white space and controls.
    static let notInURIs: Set<UInt8> = Set("\"<>\\^`{|}".utf8)

    /// An xsd:anyURI as the URI it stands for (XML Schema 1.0 Part 2 §3.2.17): characters a URI cannot hold —
    /// white space, among others — percent-encoded as UTF-8.
    static func anyURI(_ text: String) -> String {
        // Most are URIs already: returned as they are.
        if text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !Self.notInURIs.contains($0) }) { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value > 0x20 && scalar.value < 0x7F && !"\"<>\\^`{|}".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value >= 0xA0 && !scalar.properties.isWhitespace {
                out.unicodeScalars.append(scalar)  // an IRI keeps its letters
            } else {
                for byte in String(scalar).utf8 {
                    out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                }
            }
        }
        return out
    }

    /// A CBV term written as a URN or URI, bare as JSON-LD writes it; any other value as it is.
    static func term(_ value: String, _ vocabulary: CBV.Vocabulary) -> String {
        vocabulary.canonical(value).flatMap(vocabulary.term(of:)) ?? value
    }

    /// An xsd:decimal or xsd:double as a JSON number: as written when JSON can say it so, else re-written
    /// (`+5`, `.5`, `5.`); nil for anything else (`NaN`, `INF`, words).
    static func number(_ text: String) -> JSONValue? {
        if isJSONNumber(text) { return .number(text) }
        guard let value = Double(text), value.isFinite, text.allSatisfy({ "+-.0123456789eE".contains($0) })
        else { return nil }
        let written = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        return isJSONNumber(written) ? .number(written) : nil
    }

    /// RFC 8259 §6's number grammar.
    static func isJSONNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let leadingZero = bytes.first == 0x30
        let integer = digits()
        guard integer > 0, !(leadingZero && integer > 1) else { return false }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

/// The namespaces of a document's extensions, each given one JSON-LD prefix and declared in the `@context` — the
/// prefix the XML wrote, numbered if another namespace took it. One exception: CBV 1.x's master-data namespace
/// as XML writes it, `urn:epcglobal:cbv:mda` (no final colon), is `cbvmda`, which the EPCIS 2.0 context defines
/// (as `urn:epcglobal:cbv:mda:`) and is not declared again: its names read, and hash, as JSON-LD writes them.
struct Namespaces {
    static let xsi = "http://www.w3.org/2001/XMLSchema-instance"
    static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    static let masterData = "urn:epcglobal:cbv:mda"

    /// The prefixes the EPCIS 2.0 JSON-LD context defines (`epcis-context.jsonld`): the XML writer knows them
    /// without a declaration.
    static let standard: [(prefix: String, uri: String)] = [
        ("epcis", "https://ref.gs1.org/epcis/"), ("cbv", "https://ref.gs1.org/cbv/"),
        ("cbvmda", "urn:epcglobal:cbv:mda:"), ("gs1", "https://gs1.org/voc/"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"), ("owl", "http://www.w3.org/2002/07/owl#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"), ("dcterms", "http://purl.org/dc/terms/"),
    ]

    /// The standard context's URL.
    static let contextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

    private var prefixes: [String: String] = [:]
    private var declared: [(prefix: String, uri: String)] = []
    /// The prefixes the XML declares, for the CURIEs among a sensor report's vocabulary values.
    var declarable: [String: String] = [:]

    /// A sensor report's type, exception or component written as a CURIE (`example:Ghi`): its prefix, when the
    /// XML declares it, goes into the `@context` as the XML declares it, so JSON-LD expands the value to the same
    /// URI an XML reader of QNames would.
    mutating func noteCURIE(_ value: String) {
        guard let colon = value.firstIndex(of: ":") else { return }
        let prefix = String(value[..<colon])
        guard let uri = declarable[prefix], !declared.contains(where: { $0.prefix == prefix }),
            !Self.standard.contains(where: { $0.prefix == prefix }), prefixes[uri] == nil
        else { return }
        prefixes[uri] = prefix
        declared.append((prefix, uri))
    }

    /// `prefix:name` for a name in `uri`; nil for no namespace.
    mutating func key(_ uri: String, _ written: String?, _ name: String) -> String? {
        guard !uri.isEmpty else { return nil }
        if uri == Self.masterData { return "cbvmda:\(name)" }
        if let prefix = prefixes[uri] { return "\(prefix):\(name)" }
        let base = written ?? "ns"
        var prefix = base
        var n = 1
        // A standard prefix stands for its own namespace only (and cbvmda for CBV 1.x's too).
        while declared.contains(where: { $0.prefix == prefix })
            || Self.standard.contains(where: { $0.prefix == prefix && $0.uri != uri })
        {
            n += 1
            prefix = "\(base)\(n)"
        }
        prefixes[uri] = prefix
        declared.append((prefix, uri))
        return "\(prefix):\(name)"
    }

    /// The JSON-LD `@context`: the standard context, then the prefixes the extensions needed.
    var context: JSONValue {
        var entries: [JSONValue] = [.string(Self.contextURL)]
        if !declared.isEmpty {
            entries.append(.object(declared.map { JSONValue.Member($0.prefix, .string($0.uri)) }))
        }
        return .array(entries)
    }
}
