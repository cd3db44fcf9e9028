import EPCIS

/// An EPCIS input in any of the forms Threadline reads — EPCIS 2.0 JSON-LD, EPCIS 2.0 XML, EPCIS 1.2 XML —
/// told apart by its content (the first character after a byte-order mark and white space), never by a file's
/// name, and read as the EPCIS 2.0 JSON-LD the ledger signs (`Specs/08-epcis.md` §6).
public struct EPCISInput: Sendable {
    public enum Format: String, Sendable {
        case jsonld = "JSON-LD"
        case xml20 = "XML 2.0"
        case xml12 = "XML 1.2"
    }

    /// The document in its JSON-LD form.
    public let json: JSONValue
    public let format: Format
    /// For XML, the line each event starts on.
    public let eventLines: [Int]
    /// With `eachEvent`, the problems of each XML event that could not be read, by its index; it stands in `json`
    /// with its type alone (`EPCISXMLReader.readEach`).
    public private(set) var eventProblems: [Int: [EPCISProblem]] = [:]

    /// Reads `bytes`; `anyOrder` as `EPCISXMLReader.read` takes it. With `eachEvent`, an XML event that cannot be
    /// read does not refuse the others: its problems are in `eventProblems`.
    public init(_ bytes: [UInt8], anyOrder: Bool = false, eachEvent: Bool = false) throws(EPCISValidationError) {
        guard Self.isXML(bytes) else {
            do {
                json = try JSONValue(parsing: bytes, duplicateKeys: .lastWins)
            } catch {
                throw EPCISValidationError(problems: [
                    EPCISProblem(
                        path: "$", code: "epcis.json",
                        message: "neither JSON-LD nor XML: \((error as? EPCISError)?.reason ?? "\(error)")")
                ])
            }
            (format, eventLines) = (.jsonld, [])
            return
        }
        let document =
            eachEvent
            ? try EPCISXMLReader.readEach(bytes, anyOrder: anyOrder)
            : try EPCISXMLReader.read(bytes, anyOrder: anyOrder)
        (json, eventLines, eventProblems) = (document.json, document.eventLines, document.eventProblems)
        format = document.version == "1.2" ? .xml12 : .xml20
    }

    /// Whether the content is XML: its first character, after a UTF-8 byte-order mark and white space, is `<`.
    public static func isXML(_ bytes: [UInt8]) -> Bool {
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        return body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "<")
    }

    /// `problems` with each event's path (`epcisBody.eventList[3]…`) prefixed with the line the event starts on,
    /// so a problem in an XML document points into the file the user has.
    public func located(_ problems: [EPCISProblem]) -> [EPCISProblem] {
        guard !eventLines.isEmpty else { return problems }
        return problems.map { problem in
            guard let open = problem.path.range(of: "eventList["),
                let close = problem.path[open.upperBound...].firstIndex(of: "]"),
                let index = Int(problem.path[open.upperBound..<close]), eventLines.indices.contains(index)
            else {
                if problem.path == "$", eventLines.count == 1 {
                    return EPCISProblem(
                        path: "line \(eventLines[0])", code: problem.code, message: problem.message)
                }
                return problem
            }
            return EPCISProblem(
                path: "line \(eventLines[index]), \(problem.path)", code: problem.code, message: problem.message)
        }
    }
}
