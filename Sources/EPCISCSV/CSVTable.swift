/// A spreadsheet saved as CSV (RFC 4180): rows of fields separated by commas — or by semicolons, as spreadsheets
/// set to many European locales save them, when the header has semicolons and no comma — fields in double quotes
/// may hold separators, line breaks and `""` for a quote; lines end in CRLF or LF; a UTF-8 byte-order mark is
/// skipped. `Specs/25-spreadsheets.md` §1.
public struct CSVTable: Sendable {
    /// The header's names, trimmed and lower-cased.
    public let header: [String]
    /// The rows after the header, each with the line it starts on (the header is line 1), blank rows left out.
    public let rows: [(line: Int, fields: [String])]

    /// Limits: a field's length, the columns, the rows.
    public static let maxField = 4096
    public static let maxColumns = 64
    public static let maxRows = 1_000_000

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "row \(line): \(message)" }
    }

    public init(_ bytes: [UInt8]) throws(Failure) {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw Failure(line: 1, message: "the file is not UTF-8 text (save it as 'CSV UTF-8')")
        }
        let firstLine = body.prefix { $0 != 0x0A }
        let separator: UInt8 =
            firstLine.contains(UInt8(ascii: ";")) && !firstLine.contains(UInt8(ascii: ",")) ? 0x3B : 0x2C
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var wasQuoted = false
        var i = body.startIndex
        func endField() throws(Failure) {
            guard fields.count < CSVTable.maxColumns else {
                throw Failure(line: recordLine, message: "more than \(CSVTable.maxColumns) columns")
            }
            var text = String(decoding: field, as: UTF8.self)
            if !wasQuoted { text = CSVTable.trimmed(text) }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() throws(Failure) {
            try endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                guard records.count <= CSVTable.maxRows else {
                    throw Failure(line: recordLine, message: "more than \(CSVTable.maxRows) rows")
                }
                records.append((recordLine, fields))
            }
            fields.removeAll(keepingCapacity: true)
        }
        while i < body.endIndex {
            let byte = body[i]
            if quoted {
                if byte == 0x22 {
                    if body.index(after: i) < body.endIndex, body[body.index(after: i)] == 0x22 {
                        field.append(0x22)
                        i = body.index(after: i)
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
            } else if byte == 0x22 && field.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                field.removeAll()
                quoted = true
                wasQuoted = true
            } else if byte == separator {
                try endField()
            } else if byte == 0x0A {
                if field.last == 0x0D { field.removeLast() }
                try endRecord()
                line += 1
                recordLine = line
            } else if wasQuoted {
                // After a closing quote, only white space before the separator.
                if byte != 0x20 && byte != 0x09 && byte != 0x0D {
                    throw Failure(line: line, message: "a quoted field goes on after its closing quote")
                }
            } else {
                field.append(byte)
            }
            guard field.count <= CSVTable.maxField else {
                throw Failure(line: recordLine, message: "a field longer than \(CSVTable.maxField) bytes")
            }
            i = body.index(after: i)
        }
        if quoted { throw Failure(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { try endRecord() }
        guard let first = records.first else {
            throw Failure(line: 1, message: "the file is empty; it needs a header row")
        }
        header = first.fields.map { $0.lowercased() }
        rows = Array(records.dropFirst())
    }

    /// Without spaces and tabs at either end.
    static func trimmed(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard let start = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let end = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
