#if canImport(CLibXML2)
    import CLibXML2
    import EPCIS

    extension XMLTree {
        /// Through libxml2's SAX2 interface: names arrive as UTF-8, interned by the parser (so each is made a
        /// `String` once), text as byte ranges. Fed in chunks of 64 KiB; no entity is ever loaded (`XML_PARSE_NONET`,
        /// and a document type declaration stops the parse), the five predefined ones and character references are
        /// replaced.
        static func parseSAX2(
            _ bytes: [UInt8], taking taker: Taker? = nil
        ) throws(EPCISValidationError) -> (root: XMLNode, prefixes: [String: String]) {
            let reader = SAX2Reader()
            reader.tree.taker = taker
            var handler = xmlSAXHandler()
            handler.initialized = UInt32(XML_SAX2_MAGIC)
            handler.startElementNs = { context, name, prefix, uri, namespaceCount, namespaces, count, _, attributes in
                SAX2Reader.with(context) {
                    $0.start(name, prefix, uri, Int(namespaceCount), namespaces, Int(count), attributes)
                }
            }
            handler.endElementNs = { context, _, _, _ in SAX2Reader.with(context) { $0.end() } }
            handler.characters = { context, text, length in
                SAX2Reader.with(context) { $0.characters(text, Int(length)) }
            }
            handler.cdataBlock = { context, text, length in
                SAX2Reader.with(context) { $0.characters(text, Int(length)) }
            }
            handler.internalSubset = { context, _, _, _ in SAX2Reader.with(context) { $0.doctype() } }
            handler.serror = { context, error in
                guard let context, let error else { return }
                SAX2Reader.with(context) {
                    $0.error(
                        code: Int(error.pointee.code), line: Int(error.pointee.line), column: Int(error.pointee.int2))
                }
            }
            let unmanaged = Unmanaged.passRetained(reader)
            defer { unmanaged.release() }
            guard let context = xmlCreatePushParserCtxt(&handler, unmanaged.toOpaque(), nil, 0, nil) else {
                throw .xml("line 1", "xml.wellFormed", "libxml2 could not start a parser")
            }
            defer { xmlFreeParserCtxt(context) }
            xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue))
            reader.context = context
            bytes.withUnsafeBufferPointer { buffer in
                let chunk = 1 << 16
                var offset = 0
                repeat {
                    let count = min(chunk, buffer.count - offset)
                    let last: Int32 = offset + count >= buffer.count ? 1 : 0
                    let start = buffer.baseAddress.map { UnsafeRawPointer($0 + offset) }
                    let status = xmlParseChunk(
                        context, start?.assumingMemoryBound(to: CChar.self), Int32(count), last)
                    offset += count
                    if status != 0 || reader.stopped { break }
                } while offset < buffer.count
            }
            if let problem = reader.tree.problem { throw .xml(problem.where, problem.code, problem.message) }
            if context.pointee.wellFormed != 0, context.pointee.nsWellFormed == 0 {
                let (code, line, column) = reader.firstError ?? (0, 0, 0)
                throw .xml(
                    "line \(line), column \(column)", "xml.namespace",
                    "a prefix no namespace declaration in scope gives, or a namespace error (libxml2 error \(code))")
            }
            guard context.pointee.wellFormed != 0, let root = reader.tree.root else {
                let (code, line, column) = reader.firstError ?? (0, Int(xmlSAX2GetLineNumber(context)), 0)
                throw .xml(
                    "line \(line), column \(column)", "xml.wellFormed",
                    "the XML is not well-formed (libxml2 error \(code))")
            }
            return (root, reader.tree.declared)
        }
    }

    /// The SAX2 callbacks' state: the tree being built and the names already made strings.
    private final class SAX2Reader {
        // Used by one parse on one thread, through libxml2's callbacks: the runtime's exclusivity checks are left
        // out.
        @exclusivity(unchecked) var tree = XMLTree.Builder()
        var context: xmlParserCtxtPtr?
        @exclusivity(unchecked) var stopped = false
        var firstError: (code: Int, line: Int, column: Int)?
        /// Names by the parser's interned pointer, with their field numbers: a document has a few dozen, found by
        /// comparing pointers; past 64 (a document made to have thousands), in a dictionary.
        @exclusivity(unchecked) private var names: [(pointer: UnsafePointer<xmlChar>, name: String, field: Int)] = []
        @exclusivity(unchecked) private var moreNames: [UnsafePointer<xmlChar>: (name: String, field: Int)] = [:]

        /// Calls `body` with the reader behind a callback's user data: `parseSAX2` creates every parser with it,
        /// and keeps it alive until the parser is freed — so it is lent, not retained, for each call. No user data
        /// (which libxml2 never passes to a parser made with it) calls nothing: no document's bytes reach a trap.
        static func with(_ context: UnsafeMutableRawPointer?, _ body: (SAX2Reader) -> Void) {
            guard let context else { return }
            Unmanaged<SAX2Reader>.fromOpaque(context)._withUnsafeGuaranteedRef(body)
        }

        private func name(_ pointer: UnsafePointer<xmlChar>?) -> String? {
            named(pointer)?.name
        }

        private func named(_ pointer: UnsafePointer<xmlChar>?) -> (name: String, field: Int)? {
            guard let pointer else { return nil }
            if let known = names.first(where: { $0.pointer == pointer }) { return (known.name, known.field) }
            if let known = moreNames[pointer] { return known }
            let made = String(cString: pointer)
            let field = EPCISXMLReader.fieldNumbers[made] ?? -1
            if names.count < 64 { names.append((pointer, made, field)) } else { moreNames[pointer] = (made, field) }
            return (made, field)
        }

        private func stop() {
            stopped = true
            if let context { xmlStopParser(context) }
        }

        func start(
            _ localName: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?,
            _ namespaceCount: Int, _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ count: Int,
            _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
        ) {
            guard !stopped else { return }
            for i in 0..<namespaceCount {
                let prefix = name(namespaces?[2 * i]) ?? ""
                tree.mapPrefix(prefix, to: name(namespaces?[2 * i + 1]) ?? "")
                declaredHere.append(prefix)
            }
            declaredCounts.append(namespaceCount)
            let line = context.map { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer($0))) } ?? 0
            let local = named(localName)
            let node = tree.node(
                namespace: name(uri) ?? "", name: local?.name ?? "", prefix: name(prefix), line: line,
                field: local?.field ?? -1)
            for i in 0..<count {
                guard let attributes, let valueStart = attributes[5 * i + 3], let valueEnd = attributes[5 * i + 4]
                else { continue }
                let value = String(
                    decoding: UnsafeBufferPointer(start: valueStart, count: valueEnd - valueStart), as: UTF8.self)
                node.attributes.append(
                    .init(
                        namespace: name(attributes[5 * i + 2]) ?? "", prefix: name(attributes[5 * i + 1]),
                        name: name(attributes[5 * i]) ?? "", value: value))
            }
            XMLTree.sortAttributes(node)
            if !tree.start(node) { stop() }
        }

        /// The prefixes the open elements declared, one after another, and how many each declared: taken out of
        /// scope when it ends.
        @exclusivity(unchecked) private var declaredHere: [String] = []
        @exclusivity(unchecked) private var declaredCounts: [Int] = []

        func end() {
            guard !stopped else { return }
            tree.end()
            for _ in 0..<(declaredCounts.popLast() ?? 0) { tree.unmapPrefix(declaredHere.removeLast()) }
        }

        func characters(_ text: UnsafePointer<xmlChar>?, _ count: Int) {
            guard !stopped, let text else { return }
            tree.characters(UnsafeBufferPointer(start: text, count: count))
        }

        func doctype() {
            tree.problem = ("line 1", "xml.dtd", "a document type declaration (<!DOCTYPE …>) is not accepted")
            stop()
        }

        func error(code: Int, line: Int, column: Int) {
            if firstError == nil { firstError = (code, line, column) }
        }
    }
#endif
