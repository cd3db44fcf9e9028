import ArgumentParser
import EPCISCSV
import Foundation

extension SpreadsheetStep: ExpressibleByArgument {}

extension RootCommand {
    struct CSVTemplate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv-template",
            abstract: "Print a spreadsheet template (CSV) for one step, to fill in and import with --csv.",
            discussion: """
                STEP is commission (serials or a lot made), ship, receive, pack (into a carton or pallet), \
                unpack, or make (a production batch: what went in, what came out). Prints the header and an \
                example row; --columns lists each column, whether it is required, and what it holds (--json \
                for scripts). Save the filled sheet as CSV UTF-8 (a byte-order mark is fine; commas or \
                semicolons) and run 'threadline import --csv FILE --step STEP'. Specs/25-spreadsheets.md.
                """)

        @Argument(help: "The step: \(SpreadsheetStep.allCases.map(\.rawValue).joined(separator: ", ")).")
        var step: SpreadsheetStep

        @Flag(help: "List the columns instead of the template.")
        var columns = false

        @Flag(help: "With --columns: print them as JSON, [{name, required, meaning, example}].")
        var json = false

        func run() async throws {
            try await reportingFailures {
                guard columns else { return FileHandle.standardOutput.write(Data(step.template.utf8)) }
                if json { return try Output.json(step.columns) }
                for column in step.columns {
                    Output.line("\(column.name)\(column.required ? " (required)" : ""): \(column.meaning)")
                }
            }
        }
    }
}
