import EPCIS
import GS1Identifiers
import Participants

/// The steps a small factory records from a spreadsheet, each row (or, for `make`, each batch of rows) an EPCIS 2.0
/// event (`Specs/25-spreadsheets.md`).
public enum SpreadsheetStep: String, CaseIterable, Sendable {
    case commission, ship, receive, pack, unpack, make

    /// One column: its name, whether every row must fill it, what it holds, an example.
    public struct Column: Sendable, Encodable {
        public let name: String
        public let required: Bool
        public let meaning: String
        public let example: String
    }

    static let time = Column(
        name: "time", required: true, meaning: "when, with its zone: 2026-09-01 08:30+08:00 or 2026-09-01T08:30:00Z",
        example: "2026-09-01 08:30+08:00")
    static let gtin = Column(
        name: "gtin", required: true, meaning: "the product's GTIN (8, 12, 13 or 14 digits)", example: "00614141123452")
    static let goods = [
        Column(
            name: "serial", required: false, meaning: "serial numbers, separated by spaces (or give a lot)",
            example: "TS-0001 TS-0002"),
        Column(name: "lot", required: false, meaning: "a batch/lot number, with quantity and unit", example: ""),
        Column(name: "quantity", required: false, meaning: "how much of the lot, a number", example: ""),
        Column(
            name: "unit", required: false, meaning: "the quantity's UN/ECE Rec. 20 unit: KGM, MTR, PCE, …",
            example: ""),
    ]
    static func place(_ name: String, _ meaning: String, required: Bool = true) -> Column {
        Column(
            name: name, required: required,
            meaning: meaning + ": a participant id, or a 13-digit GLN", example: "dhaka-garments")
    }

    /// The columns, in the template's order.
    public var columns: [Column] {
        switch self {
        case .commission:
            return [Self.time, Self.place("location", "where the goods were made or marked"), Self.gtin] + Self.goods
                + [
                    Column(
                        name: "certificate", required: false, meaning: "a certificate's URI the goods carry",
                        example: "https://certifier.example/gots/TC-2211")
                ]
        case .ship:
            return [
                Self.time, Self.place("from", "who ships, from their place"),
                Self.place("to", "to whom, at their place"),
                Self.gtin,
            ] + Self.goods + [Self.order]
        case .receive:
            return [
                Self.time, Self.place("at", "who receives, at their place"),
                Self.place("from", "from whom", required: false), Self.gtin,
            ] + Self.goods + [Self.order]
        case .pack, .unpack:
            return [
                Self.time, Self.place("location", "where"),
                Column(
                    name: "container", required: true, meaning: "the carton's or pallet's SSCC (18 digits)",
                    example: "088012340000010016"),
                Self.gtin,
            ] + Self.goods
        case .make:
            return [
                Self.time, Self.place("location", "where"),
                Column(
                    name: "batch", required: true,
                    meaning: "the production order: rows with the same batch are one event",
                    example: "PO-2026-118"),
                Column(
                    name: "direction", required: true, meaning: "in (consumed) or out (made)", example: "out"),
                Self.gtin,
            ] + Self.goods
        }
    }

    static let order = Column(
        name: "order", required: false, meaning: "the purchase order's number or URI", example: "PO-4471")

    /// A template: the header and one example row.
    public var template: String {
        let line = { (values: [String]) in values.map(CSVTable.quoted).joined(separator: ",") }
        var example = columns.map(\.example)
        if self == .make {
            // A batch consumes dyed fabric and makes shirts: one row in, one row out, at one time and place.
            let batch = ["2026-09-03 17:00+06:00", "dhaka-garments", "PO-2026-118"]
            let input = batch + ["in", "08901238005015", "", "DYE-A-0917", "300", "MTR"]
            let output = batch + ["out", "00614141123452", "TS-0001 TS-0002", "", "", ""]
            return line(columns.map(\.name)) + "\n" + line(input) + "\n" + line(output) + "\n"
        }
        if self == .ship || self == .receive {
            example[columns.firstIndex { $0.name == (self == .ship ? "from" : "at") }!] = "dhaka-garments"
            example[columns.firstIndex { $0.name == (self == .ship ? "to" : "from") }!] =
                self == .ship ? "northwind-apparel" : "8801234000017"
        }
        return line(columns.map(\.name)) + "\n" + line(example) + "\n"
    }
}

extension CSVTable {
    /// A field as CSV writes it: quoted when it holds a separator, a quote or a line break.
    static func quoted(_ field: String) -> String {
        guard field.utf8.contains(where: { [0x2C, 0x3B, 0x22, 0x0A, 0x0D].contains($0) }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A row's problem: where (row, and column if one is at fault) and what.
public struct SpreadsheetProblem: Error, Sendable, CustomStringConvertible {
    public let row: Int
    public let column: Int?
    public let name: String?
    public let code: String
    public let message: String

    /// `row 5, column 3 (gtin)`.
    public var location: String {
        "row \(row)" + (column.map { ", column \($0)" } ?? "") + (name.map { " (\($0))" } ?? "")
    }

    public var description: String { "\(location): \(message)" }

    /// As the EPCIS problems the rest of the import reports.
    public var problem: EPCISProblem { EPCISProblem(path: location, code: "csv." + code, message: message) }
}

/// A spreadsheet read as EPCIS events (`Specs/25-spreadsheets.md`): each event with the rows it comes from, or the
/// problems of those rows.
public struct Spreadsheet: Sendable {
    public let step: SpreadsheetStep
    public let events: [(rows: [Int], result: Result<JSONValue, SpreadsheetProblem>)]

    /// The `@context` of the events made: the EPCIS context alone.
    public static let context = JSONValue.array([
        .string("https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld")
    ])

    /// Reads `bytes` as a spreadsheet of `step`, naming places and parties from `registry`. Throws when the file
    /// itself cannot be read (not CSV, no header, a header that is not the step's).
    public init(_ bytes: [UInt8], step: SpreadsheetStep, registry: Registry) throws(SpreadsheetProblem) {
        let table: CSVTable
        do { table = try CSVTable(bytes) } catch {
            throw SpreadsheetProblem(row: error.line, column: nil, name: nil, code: "file", message: error.message)
        }
        self.step = step
        let columns = try Self.columns(of: table.header, step: step)
        var reader = RowReader(columns: columns, registry: registry)
        if step == .make {
            events = reader.batches(table.rows)
        } else {
            events = table.rows.map { row in ([row.line], reader.event(row, step: step)) }
        }
    }

    /// An EPCIS 2.0 document of `events`.
    public static func document(_ events: [JSONValue], created: String) -> JSONValue {
        .object([
            .init("@context", context), .init("type", .string("EPCISDocument")),
            .init("schemaVersion", .string("2.0")), .init("creationDate", .string(created)),
            .init("epcisBody", .object([.init("eventList", .array(events))])),
        ])
    }

    /// Each column's place in the header; the header must name every required column and nothing else.
    static func columns(of header: [String], step: SpreadsheetStep) throws(SpreadsheetProblem) -> [String: Int] {
        var positions: [String: Int] = [:]
        let known = Set(step.columns.map(\.name))
        for (i, name) in header.enumerated() {
            guard known.contains(name) else {
                throw SpreadsheetProblem(
                    row: 1, column: i + 1, name: name, code: "header",
                    message: "'\(name)' is not a column of \(step.rawValue); its columns are "
                        + step.columns.map(\.name).joined(separator: ", ")
                        + " ('threadline csv-template \(step.rawValue)' writes them)")
            }
            guard positions[name] == nil else {
                throw SpreadsheetProblem(
                    row: 1, column: i + 1, name: name, code: "header", message: "the column '\(name)' is there twice")
            }
            positions[name] = i
        }
        if let missing = step.columns.first(where: { $0.required && positions[$0.name] == nil }) {
            throw SpreadsheetProblem(
                row: 1, column: nil, name: nil, code: "header",
                message: "the header has no '\(missing.name)' column (\(missing.meaning))")
        }
        return positions
    }
}
