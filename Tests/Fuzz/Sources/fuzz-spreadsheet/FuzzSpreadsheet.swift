import EPCIS
import EPCISCSV
import FuzzSupport
import Participants

/// `CSVTable` and `Spreadsheet` (`Specs/25-spreadsheets.md`): the first byte picks the step (byte % 6, in
/// `SpreadsheetStep.allCases`' order), the rest is the CSV file, read against an empty registry (participant ids are
/// refused, 13-digit GLNs work). A row the reader accepts must make a valid EPCIS event: each event alone in a
/// document (`Spreadsheet.document`) must validate (`EPCISDocument(json:)`). Every row number reported is one of the
/// file's: the header is row 1, so a file's problem is at row 1 or later, and an event's rows, and its problem's, are
/// rows of the table after the header — each row in exactly one event.
@main
enum FuzzSpreadsheet: FuzzTarget {
    static let registry = Registry(operatorKey: "fuzz")

    static func fuzz(_ input: FuzzInput) {
        guard let first = input.buffer.first else { return }
        let step = SpreadsheetStep.allCases[Int(first) % SpreadsheetStep.allCases.count]
        let bytes = Array(input.buffer.dropFirst())

        let table: CSVTable
        do {
            table = try CSVTable(bytes)
        } catch {
            require(error.line >= 1, "CSVTable fails at row \(error.line): \(error.message)")
            return
        }
        let lines = table.rows.map(\.line)
        require(
            lines.allSatisfy { $0 >= 2 } && zip(lines, lines.dropFirst()).allSatisfy { $0 < $1 },
            "CSVTable's row numbers are not rising from 2: \(lines)")
        let rows = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.line, $0.fields) })

        let spreadsheet: Spreadsheet
        do {
            spreadsheet = try Spreadsheet(bytes, step: step, registry: registry)
        } catch {
            require(error.row >= 1, "a \(step) spreadsheet refused at row \(error.row): \(error)")
            require(error.column.map { $0 >= 1 } ?? true, "a problem at column \(error.column ?? 0): \(error)")
            return
        }

        var seen: [Int] = []
        for (eventRows, result) in spreadsheet.events {
            require(!eventRows.isEmpty, "a \(step) event from no rows")
            require(eventRows.allSatisfy { $0 >= 2 }, "a \(step) event from rows \(eventRows)")
            require(
                eventRows.allSatisfy { rows[$0] != nil }, "a \(step) event from rows \(eventRows), not all in \(lines)")
            seen += eventRows
            let shown = eventRows.map { "row \($0): \(rows[$0] ?? [])" }.joined(separator: "\n")
            switch result {
            case .failure(let problem):
                require(problem.row >= 2, "a \(step) problem at row \(problem.row): \(problem)\n\(shown)")
                require(
                    eventRows.contains(problem.row),
                    "a \(step) problem at row \(problem.row), not one of the event's \(eventRows): \(problem)\n\(shown)"
                )
                require(
                    problem.column.map { $0 >= 1 } ?? true, "a problem at column \(problem.column ?? 0): \(problem)")
            case .success(let event):
                let document = Spreadsheet.document([event], created: "2026-01-01T00:00:00Z")
                do {
                    _ = try EPCISDocument(json: document)
                } catch {
                    fatalError(
                        "a \(step) row the spreadsheet reader accepts makes an invalid EPCIS event: \(error)\n\(shown)\n"
                            + event.serialized)
                }
            }
        }
        require(
            seen.sorted() == lines,
            "the \(step) events' rows \(seen.sorted()) are not the table's rows \(lines), each once")
    }
}
