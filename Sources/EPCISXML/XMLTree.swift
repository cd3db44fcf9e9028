import EPCIS
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element as read, with its namespace resolved: the tree the EPCIS XML reader maps to JSON-LD. A class:
/// the reader passes elements around, and a reference costs one count where a struct's copy costs one a field. A
/// parse reuses the elements of each event once it is read (`XMLTree.Builder.recycle`).
final class XMLNode: Equatable {
    // Built by one parse and read after it, never from two places at once: the runtime's exclusivity checks, a
    // fifth of building the tree, are left out.
    /// The element's namespace URI; empty for an unqualified element (EPCIS event fields are unqualified).
    @exclusivity(unchecked) var namespace: String
    /// The local name.
    @exclusivity(unchecked) private(set) var name: String
    /// The prefix it was written with (nil for none, or the default namespace).
    @exclusivity(unchecked) var prefix: String?
    @exclusivity(unchecked) var attributes: [Attribute] = []
    @exclusivity(unchecked) var children: [XMLNode] = []
    /// The character data directly inside, whitespace at both ends removed.
    @exclusivity(unchecked) var text = ""
    /// Where it starts, for messages.
    @exclusivity(unchecked) private(set) var line: Int
    /// The number of the event field its local name is (`EPCISXMLReader.fieldNames`), -1 for none.
    @exclusivity(unchecked) private(set) var field: Int

    init(namespace: String, name: String, prefix: String?, line: Int, field: Int? = nil) {
        (self.namespace, self.name, self.prefix, self.line) = (namespace, name, prefix, line)
        self.field = field ?? EPCISXMLReader.fieldNumbers[name] ?? -1
    }

    /// Makes a recycled element a new one: no attributes, children or text; the arrays keep their room.
    func reset(namespace: String, name: String, prefix: String?, line: Int, field: Int) {
        (self.namespace, self.name, self.prefix, self.line, self.field) = (namespace, name, prefix, line, field)
        attributes.removeAll(keepingCapacity: true)
        text = ""
    }

    static func == (a: XMLNode, b: XMLNode) -> Bool {
        (a.namespace, a.name, a.prefix, a.text, a.line) == (b.namespace, b.name, b.prefix, b.text, b.line)
            && a.attributes == b.attributes && a.children == b.children
    }

    struct Attribute: Equatable {
        var namespace: String
        var prefix: String?
        var name: String
        var value: String
    }

    /// `prefix:name` as written.
    var qualifiedName: String { prefix.map { "\($0):\(name)" } ?? name }

    /// The attribute `name` without a namespace, if present.
    func attribute(_ name: String) -> String? {
        attributes.first { $0.namespace.isEmpty && $0.name == name }?.value
    }
}

/// Reads XML into an `XMLNode` tree with libxml2, namespaces resolved: through its SAX2 interface when the
/// package was built with its header (`CLibXML2`), else through Foundation's `XMLParser`, which wraps it. A
/// document type declaration is refused before anything is parsed — EPCIS needs none, and it is how entity
/// expansion and external entities get in — and so is an input not in UTF-8 (08 §6.1).
enum XMLTree {
    /// Elements nest at most this deep.
    static let maxDepth = 64

    /// What a parse calls as each element ends that is neither the root nor named as an event field (most of an
    /// event's elements are, and are never offered): the element, the elements open around it (the root first),
    /// and every prefix declared so far. True takes the element: it is not added to its parent, so a reader can map
    /// a document's events one by one and let each go.
    typealias Taker = (_ node: XMLNode, _ open: [XMLNode], _ declared: [String: String]) -> Bool

    /// The tree, and every prefix the document declares (the first namespace each stood for).
    static func parse(
        _ bytes: [UInt8], taking taker: Taker? = nil
    ) throws(EPCISValidationError) -> (root: XMLNode, prefixes: [String: String]) {
        try checkProlog(bytes)
        #if canImport(CLibXML2)
            return try parseSAX2(bytes, taking: taker)
        #else
            return try parseFoundation(bytes, taking: taker)
        #endif
    }

    /// Through Foundation's `XMLParser`.
    static func parseFoundation(
        _ bytes: [UInt8], taking taker: Taker? = nil
    ) throws(EPCISValidationError) -> (root: XMLNode, prefixes: [String: String]) {
        try checkProlog(bytes)
        // Foundation's delegate bridge crashes on names and comments that are not UTF-8 (libxml2 itself refuses
        // them, `XML_ERR_INVALID_CHAR`)
        if String(validating: bytes, as: UTF8.self) == nil {
            throw .xml("line 1", "xml.encoding", "EPCIS XML is read in UTF-8; this is not valid UTF-8")
        }
        // and on a processing instruction without data (`<?a?>`) on a processing instruction without data (`<?a?>`): none is read
        // this way (EPCIS has no use for them), save the XML declaration.
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if bytes[start...].starts(with: "<?xml".utf8), let end = bytes[start...].firstRange(of: "?>".utf8) {
            start = end.upperBound
        }
        if bytes[start...].firstRange(of: "<?".utf8) != nil {
            throw .xml(
                "line 1", "xml.wellFormed",
                "processing instructions are not read (build with libxml2's headers to read them)")
        }
        let builder = FoundationBuilder()
        builder.tree.taker = taker
        // Fed as a stream, in chunks: libxml2 refuses (XML_ERR_INTERNAL_ERROR, "huge input lookup") one chunk over
        // 10 MB, which is how `XMLParser(data:)` hands it over.
        let parser = XMLParser(stream: InputStream(data: Data(bytes)))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let parsed = parser.parse()
        if let problem = builder.tree.problem { throw .xml(problem.where, problem.code, problem.message) }
        guard parsed, let root = builder.tree.root else {
            let code = (parser.parserError as NSError?)?.code ?? 0
            throw .xml(
                "line \(parser.lineNumber), column \(parser.columnNumber)", "xml.wellFormed",
                "the XML is not well-formed (libxml2 error \(code))")
        }
        return (root, builder.tree.declared)
    }

    /// Refuses a document type declaration in the prolog, and an input in UTF-16 or UTF-32 (whose prolog this
    /// could not read). The prolog is read as XML 1.0 §2.8 defines it — an XML declaration, comments, processing
    /// instructions and white space — up to the first element.
    static func checkProlog(_ bytes: [UInt8]) throws(EPCISValidationError) {
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.prefix(4).contains(0) {
            throw .xml("line 1", "xml.encoding", "EPCIS XML is read in UTF-8; this is UTF-16 or UTF-32")
        }

        if let line = doctypeLine(bytes) {
            throw .xml("line \(line)", "xml.dtd", "a document type declaration (<!DOCTYPE …>) is not accepted")
        }
    }

    /// The line of a `<!DOCTYPE` (or any `<!` declaration) in the prolog, if there is one.
    static func doctypeLine(_ bytes: [UInt8]) -> Int? {
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func at(_ text: String) -> Bool { bytes[i...].starts(with: text.utf8) }
        func skip(past end: String) -> Bool {
            let end = Array(end.utf8)
            while i + end.count <= bytes.count {
                if bytes[i..<i + end.count].elementsEqual(end) {
                    i += end.count
                    return true
                }
                i += 1
            }
            return false
        }
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            case UInt8(ascii: "<"):
                if at("<?") {
                    guard skip(past: "?>") else { return nil }
                } else if at("<!--") {
                    guard skip(past: "-->") else { return nil }
                } else if at("<!") {
                    return bytes[..<i].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                } else {
                    return nil
                }
            default: return nil
            }
        }
        return nil
    }

    /// Builds the tree from either parser's events: elements opened and closed, their text, the prefixes in scope.
    struct Builder {
        var root: XMLNode?
        var open: [XMLNode] = []
        /// The character data of the open elements, one after another: each element's starts where `starts`
        /// says; its children's text is taken off the end as each child closes.
        var text: [UInt8] = []
        var starts: [Int] = []
        var scopes: [String: [String]] = [:]
        var declared: [String: String] = [:]
        var problem: (where: String, code: String, message: String)?
        /// Offered each element that is neither the root nor an event field as it ends (`XMLTree.Taker`).
        var taker: XMLTree.Taker?
        /// Elements taken and read, to be used again: a document's thousands of events cost the allocations of one.
        private var pool: [XMLNode] = []
        /// The pool holds at most this many elements (an event made of more lets the rest go).
        static let poolLimit = 4096

        /// A new element: a recycled one, or one allocated.
        mutating func node(namespace: String, name: String, prefix: String?, line: Int, field: Int) -> XMLNode {
            guard let node = pool.popLast() else {
                return XMLNode(namespace: namespace, name: name, prefix: prefix, line: line, field: field)
            }
            node.reset(namespace: namespace, name: name, prefix: prefix, line: line, field: field)
            return node
        }

        /// Puts a taken element and everything in it back in the pool — each only if nothing else holds it.
        private mutating func recycle(_ node: consuming XMLNode) {
            var stack = [consume node]
            while var next = stack.popLast() {
                guard isKnownUniquelyReferenced(&next) else { continue }
                stack += next.children
                next.children.removeAll(keepingCapacity: true)
                if pool.count < Self.poolLimit { pool.append(next) }
            }
        }

        mutating func mapPrefix(_ prefix: String, to namespace: String) {
            scopes[prefix, default: []].append(namespace)
            if !prefix.isEmpty, declared[prefix] == nil { declared[prefix] = namespace }
        }

        mutating func unmapPrefix(_ prefix: String) {
            _ = scopes[prefix]?.popLast()
        }

        /// The namespace `prefix` stands for here.
        func namespace(of prefix: String) -> String {
            prefix == "xml" ? "http://www.w3.org/XML/1998/namespace" : scopes[prefix]?.last ?? ""
        }

        /// Opens an element; false when it nests too deep (the parse stops there).
        mutating func start(_ node: XMLNode) -> Bool {
            // A name with a prefix no namespace was declared for comes through with its colon: refused.
            if XMLTree.hasColon(node.name) || node.attributes.contains(where: { XMLTree.hasColon($0.name) }) {
                problem = (
                    "line \(node.line)", "xml.namespace",
                    "<\(node.qualifiedName)> uses a prefix no namespace declaration in scope gives"
                )
                return false
            }
            // Below the root, fields some writers qualify with the EPCIS namespace (`<epcis:eventTime>`) are the
            // unqualified fields they stand for.
            if !open.isEmpty, !node.namespace.isEmpty,
                node.namespace == EPCISXMLReader.epcis2 || node.namespace == EPCISXMLReader.epcis1
            {
                node.namespace = ""
                node.prefix = nil
            }
            guard open.count < XMLTree.maxDepth else {
                problem = ("line \(node.line)", "xml.depth", "elements nest deeper than \(XMLTree.maxDepth)")
                return false
            }
            open.append(node)
            starts.append(text.count)
            return true
        }

        mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
            if !open.isEmpty { text.append(contentsOf: bytes) }
        }

        mutating func end() {
            guard let node = open.popLast(), let start = starts.popLast() else { return }
            node.text = XMLTree.trimmed(text[start...])
            text.removeSubrange(start...)
            if let parent = open.last {
                if node.field < 0, let taker, taker(node, open, declared) {
                    recycle(consume node)
                    return
                }
                parent.children.append(node)
            } else {
                root = node
            }
        }
    }

    /// An element's attributes in the order of their prefixes and names, so both readers give them alike.
    static func sortAttributes(_ node: XMLNode) {
        if node.attributes.count > 1 {
            node.attributes.sort { ($0.prefix ?? "", $0.name) < ($1.prefix ?? "", $1.name) }
        }
    }

    /// Whether `name` has a colon: found in its UTF-8 buffer (the view's generic search is slow on this path).
    static func hasColon(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { $0.count > 0 && memchr($0.baseAddress!, 0x3A, $0.count) != nil }
    }

    /// UTF-8 text without the XML white space (space, tab, newline, return) at either end.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// `XMLParser`'s delegate, feeding a `Builder`.
    private final class FoundationBuilder: NSObject, XMLParserDelegate {
        var tree = Builder()

        func parser(_ parser: XMLParser, didStartMappingPrefix prefix: String, toURI namespaceURI: String) {
            tree.mapPrefix(prefix, to: namespaceURI)
        }

        func parser(_ parser: XMLParser, didEndMappingPrefix prefix: String) {
            tree.unmapPrefix(prefix)
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let prefix = qualifiedName.flatMap { name in name.firstIndex(of: ":").map { String(name[..<$0]) } }
            let node = tree.node(
                namespace: namespaceURI ?? "", name: elementName, prefix: prefix, line: parser.lineNumber,
                field: EPCISXMLReader.fieldNumbers[elementName] ?? -1)
            for (qualified, value) in attributes {
                if let colon = qualified.firstIndex(of: ":") {
                    let prefix = String(qualified[..<colon])
                    if prefix == "xmlns" { continue }
                    node.attributes.append(
                        .init(
                            namespace: tree.namespace(of: prefix), prefix: prefix,
                            name: String(qualified[colon...].dropFirst()), value: value))
                } else if qualified != "xmlns" {
                    node.attributes.append(.init(namespace: "", prefix: nil, name: qualified, value: value))
                }
            }
            // In the order of their names, as the SAX2 reader gives them: `XMLParser` hands over a dictionary.
            XMLTree.sortAttributes(node)
            if !tree.start(node) { parser.abortParsing() }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            var string = string
            string.withUTF8 { tree.characters($0) }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            CDATABlock.withUnsafeBytes { tree.characters($0.bindMemory(to: UInt8.self)) }
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            tree.end()
        }
    }
}

extension EPCISValidationError {
    /// One problem with an XML input.
    static func xml(_ path: String, _ code: String, _ message: String) -> EPCISValidationError {
        EPCISValidationError(problems: [EPCISProblem(path: path, code: "epcis." + code, message: message)])
    }
}
