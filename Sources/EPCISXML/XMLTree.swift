import EPCIS
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element as read, with its namespace resolved: the tree the EPCIS XML reader maps to JSON-LD.
struct XMLNode {
    /// The element's namespace URI; empty for an unqualified element (EPCIS event fields are unqualified).
    var namespace: String
    /// The local name.
    var name: String
    /// The prefix it was written with (nil for none, or the default namespace).
    var prefix: String?
    var attributes: [Attribute] = []
    var children: [XMLNode] = []
    /// The character data directly inside, whitespace at both ends removed.
    var text = ""
    /// Where it starts, for messages.
    var line: Int

    struct Attribute {
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

/// Reads XML into an `XMLNode` tree with Foundation's `XMLParser` (libxml2), namespaces resolved. A document
/// type declaration is refused before anything is parsed: EPCIS needs none, and it is how entity expansion and
/// external entities get in (08 §6.1).
enum XMLTree {
    /// Elements nest at most this deep.
    static let maxDepth = 64

    /// The tree, and every prefix the document declares (the first namespace each stood for).
    static func parse(_ bytes: [UInt8]) throws(EPCISValidationError) -> (root: XMLNode, prefixes: [String: String]) {
        if let line = doctypeLine(bytes) {
            throw .xml("line \(line)", "xml.dtd", "a document type declaration (<!DOCTYPE …>) is not accepted")
        }
        let builder = Builder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let parsed = parser.parse()
        if let problem = builder.problem { throw .xml(problem.where, problem.code, problem.message) }
        guard parsed, let root = builder.root else {
            let code = (parser.parserError as NSError?)?.code ?? 0
            throw .xml(
                "line \(parser.lineNumber), column \(parser.columnNumber)", "xml.wellFormed",
                "the XML is not well-formed (libxml2 error \(code))")
        }
        return (root, builder.declared)
    }

    /// The line of a `<!DOCTYPE` in the prolog, if there is one: the prolog is read as XML 1.0 §2.8 defines it
    /// (an XML declaration, comments, processing instructions and white space) up to the first element.
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
                    // <!DOCTYPE, in any case a parser might take: refused.
                    return bytes[..<i].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                } else {
                    return nil
                }
            default: return nil
            }
        }
        return nil
    }

    /// Builds the tree from the parser's events, keeping the prefixes in scope to resolve attributes' names.
    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var open: [XMLNode] = []
        var text: [String] = []
        var scopes: [String: [String]] = [:]
        var declared: [String: String] = [:]
        var problem: (where: String, code: String, message: String)?

        func parser(_ parser: XMLParser, didStartMappingPrefix prefix: String, toURI namespaceURI: String) {
            scopes[prefix, default: []].append(namespaceURI)
            if !prefix.isEmpty, declared[prefix] == nil { declared[prefix] = namespaceURI }
        }

        func parser(_ parser: XMLParser, didEndMappingPrefix prefix: String) {
            _ = scopes[prefix]?.popLast()
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            guard open.count < XMLTree.maxDepth else {
                problem = ("line \(parser.lineNumber)", "xml.depth", "elements nest deeper than \(XMLTree.maxDepth)")
                parser.abortParsing()
                return
            }
            let prefix = qualifiedName.flatMap { name in name.firstIndex(of: ":").map { String(name[..<$0]) } }
            var node = XMLNode(
                namespace: namespaceURI ?? "", name: elementName, prefix: prefix, line: parser.lineNumber)
            // Attributes in the order of their names: the parser hands them over as a dictionary.
            for (qualified, value) in attributes.sorted(by: { $0.key < $1.key }) {
                if let colon = qualified.firstIndex(of: ":") {
                    let prefix = String(qualified[..<colon])
                    if prefix == "xmlns" { continue }
                    let namespace =
                        prefix == "xml" ? "http://www.w3.org/XML/1998/namespace" : scopes[prefix]?.last ?? ""
                    node.attributes.append(
                        .init(
                            namespace: namespace, prefix: prefix, name: String(qualified[colon...].dropFirst()),
                            value: value))
                } else if qualified != "xmlns" {
                    node.attributes.append(.init(namespace: "", prefix: nil, name: qualified, value: value))
                }
            }
            open.append(node)
            text.append("")
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !text.isEmpty { text[text.count - 1] += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if !text.isEmpty { text[text.count - 1] += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
        ) {
            guard var node = open.popLast(), let characters = text.popLast() else { return }
            node.text = characters.trimmingCharacters(in: .whitespacesAndNewlines)
            if open.isEmpty {
                root = node
            } else {
                open[open.count - 1].children.append(node)
            }
        }
    }
}

extension EPCISValidationError {
    /// One problem with an XML input.
    static func xml(_ path: String, _ code: String, _ message: String) -> EPCISValidationError {
        EPCISValidationError(problems: [EPCISProblem(path: path, code: "epcis." + code, message: message)])
    }
}
