import ArgumentParser
import EPCIS
import EPCISCSV
import EPCISXML
import Foundation
import GS1Identifiers
import Participants
import Statements
import Threadline
import TransparencyLog

extension RootCommand {
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign one EPCIS event and record it; print its sequence number.",
            discussion: """
                EVENT is an event with its @context, or a document holding exactly one event, in EPCIS 2.0 \
                JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML (told apart by content); XML is recorded as its \
                JSON-LD form, with the same CBV 2.0 event hash (Specs/08-epcis.md §6). The ledger refuses \
                (exit 2, nothing appended) an invalid event, a signer key that is unknown, revoked or rotated \
                out, a role that may not record the step (only the owner of a GTIN's company prefix, as origin, \
                manufacturer, processor or brand, commissions it), and a duplicate — the same CBV 2.0 event hash \
                as an existing record, which the error names. Through a server (--server, --remote), the event \
                is signed here and posted; the number is printed once the server has it durable and the record \
                is proved in its log. With --seal, every field is sealed here (a salted digest in its place, \
                SD-JWT's disclosures kept beside the log), so the public record reveals nothing of the event. \
                Specs/10-recording.md, Specs/22-client.md, Specs/23-sealed-events.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var signing: SignerOptions

        @Flag(help: "Seal the event: the record holds only salted digests of its fields (Specs/23-sealed-events.md).")
        var seal = false

        @OptionGroup var reading: XMLReadingOptions

        @Argument(help: ArgumentHelp("The event file, or - for standard input.", valueName: "event.json"))
        var file: String

        func run() async throws {
            try await reportingFailures {
                let keys = try signing.keys()
                let input = try reading.input(try Files.read(file, what: "event"))
                let (events, problems) = EPCISDocument.readEach(input.json)
                if !problems.isEmpty { throw EPCISValidationError(problems: input.located(problems)) }
                guard events.count == 1 else {
                    throw CommandFailure(
                        CommandFailure.inputRefused,
                        "'\(file)' holds \(events.count) events; record takes one (use 'threadline import' for a document)"
                    )
                }
                let payload = try events[0].result.mapError {
                    EPCISValidationError(problems: input.located($0.problems))
                }
                .get().payload
                let submission = try Recording.submissions([payload], with: keys, sealed: seal)[0]
                switch try target.target(reader: keys[0]) {
                case .local(let options):
                    Output.line(String(try await options.open().append([submission]).lowerBound))
                case .remote(let remote):
                    Output.line(String(try await remote.submit([submission.json]).lowerBound))
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign and record every event of an EPCIS document, in order.",
            discussion: """
                The document is EPCIS 2.0 JSON-LD, EPCIS 2.0 XML or EPCIS 1.2 XML, told apart by content; each \
                XML event is recorded as its JSON-LD form, with the same CBV 2.0 event hash, and a problem in \
                XML names the line of its event (Specs/08-epcis.md §6). With --csv and --step, a spreadsheet \
                instead: each row an event (for make, each batch), places and parties by participant id or GLN, \
                a bad row refused by row and column; indexes in the report are then rows \
                (Specs/25-spreadsheets.md). All or nothing: if any event is invalid or refused (see 'record'), nothing is appended and every \
                reason is printed. With --continue-on-error, the good events are recorded and each refused one \
                is reported. Shows progress on a terminal and prints a summary; --json prints a report instead. \
                Through a server (--server, --remote), the events are signed here and posted in requests of up \
                to 20,000 events, each all or nothing and durable before the next is sent: a refusal stops the \
                import there (the requests before it stay recorded, and the summary says so). \
                With --seal, each event is sealed here as 'record --seal' does. Specs/22-client.md, \
                Specs/23-sealed-events.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var signing: SignerOptions

        @Flag(help: "Seal every event: the records hold only salted digests of their fields.")
        var seal = false

        @OptionGroup var reading: XMLReadingOptions

        @Flag(help: "Record the events that pass and report each refused one.")
        var continueOnError = false

        @Flag(
            help:
                "Print a JSON report: {recorded: [{index, seq, hash}], refused: [{index, path, code, reason, existing}]}."
        )
        var json = false

        @Argument(help: ArgumentHelp("The EPCIS document, or - for standard input.", valueName: "document.json"))
        var file: String?

        @Option(
            help: ArgumentHelp(
                "Instead, a spreadsheet saved as CSV, one event a row ('threadline csv-template STEP' writes one).",
                valueName: "rows.csv"))
        var csv: String?

        @Option(
            help:
                "With --csv: the step its rows record: \(SpreadsheetStep.allCases.map(\.rawValue).joined(separator: ", "))."
        )
        var step: SpreadsheetStep?

        func validate() throws {
            guard (file == nil) != (csv == nil) else {
                throw ValidationError("give an EPCIS document, or --csv with a spreadsheet (not both)")
            }
            guard (csv == nil) == (step == nil) else { throw ValidationError("--csv and --step go together") }
        }

        struct Recorded: Encodable {
            let index: Int
            let seq: Int64
            let hash: String
        }
        struct Refused: Encodable {
            let index: Int
            let path: String
            let code: String
            let reason: String
            let existing: Int64?
        }
        struct Report: Encodable {
            let recorded: [Recorded]
            let refused: [Refused]
        }

        func run() async throws {
            try await reportingFailures {
                let keys = try signing.keys()
                let target = try target.target(reader: keys[0])
                var refused: [Refused] = []
                let input: EPCISInput
                // A spreadsheet's rows become a document of the events they make; a bad row is refused by row and
                // column, and the paths of the events that validate name their rows.
                var rowsOf: [[Int]] = []
                if let csv, let step {
                    let registry: Registry
                    switch target {
                    case .local(let options): registry = try await options.open().registry().0
                    case .remote(let remote): registry = try await remote.registry()
                    }
                    let sheet: Spreadsheet
                    do {
                        sheet = try Spreadsheet(
                            Array(try Files.read(csv, what: "spreadsheet")), step: step, registry: registry)
                    } catch let problem as SpreadsheetProblem {
                        throw EPCISValidationError(problems: [problem.problem])
                    }
                    var events: [JSONValue] = []
                    for (rows, result) in sheet.events {
                        switch result {
                        case .success(let event):
                            events.append(event)
                            rowsOf.append(rows)
                        case .failure(let problem):
                            refused.append(
                                Refused(
                                    index: rows[0], path: problem.location, code: "csv." + problem.code,
                                    reason: problem.message, existing: nil))
                        }
                    }
                    if !refused.isEmpty && !continueOnError {
                        throw EPCISValidationError(
                            problems: refused.map { EPCISProblem(path: $0.path, code: $0.code, message: $0.reason) })
                    }
                    let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
                    input = try EPCISInput(Array(Spreadsheet.document(events, created: now).serialized.utf8))
                } else {
                    input = try reading.input(try Files.read(file ?? "-", what: "EPCIS document"), eachEvent: true)
                }
                let (events, problems) = EPCISDocument.readEach(input.json)
                if !problems.isEmpty { throw EPCISValidationError(problems: input.located(problems)) }
                // What a report calls an event: its place in the document, or, from a spreadsheet, its first row.
                let badRows = refused.count
                let indexOf = { (i: Int) in rowsOf.isEmpty ? i : rowsOf[i][0] }
                let pathOf = { (i: Int) in
                    rowsOf.isEmpty
                        ? events[i].path
                        : (rowsOf[i].count == 1
                            ? "row \(rowsOf[i][0])" : "rows \(rowsOf[i].map(String.init).joined(separator: ", "))")
                }
                func renumbered(_ recorded: [Recorded], _ refused: [Refused]) -> ([Recorded], [Refused]) {
                    guard !rowsOf.isEmpty else { return (recorded, refused) }
                    return (
                        recorded.map { Recorded(index: indexOf($0.index), seq: $0.seq, hash: $0.hash) },
                        refused.map {
                            Refused(
                                index: indexOf($0.index), path: pathOf($0.index), code: $0.code, reason: $0.reason,
                                existing: $0.existing)
                        }
                    )
                }
                var good: [(index: Int, event: EPCISEvent, payload: [UInt8])] = []
                var invalid: [EPCISProblem] = []
                for (index, (_, read)) in events.enumerated() {
                    // An XML event that could not be read is refused for what the XML reader found.
                    let result = input.eventProblems[index].map { .failure(EPCISValidationError(problems: $0)) } ?? read
                    switch result {
                    case .success(let value): good.append((index, value.event, value.payload))
                    case .failure(let error):
                        invalid += input.located(error.problems)
                        refused +=
                            renumbered(
                                [],
                                error.problems.map {
                                    Refused(
                                        index: index, path: $0.path, code: $0.code, reason: $0.message, existing: nil)
                                }
                            ).1
                    }
                }
                if !invalid.isEmpty && !continueOnError { throw EPCISValidationError(problems: invalid) }
                if case .remote(let remote) = target {
                    let (recorded, refusedRemotely) = try await remote.importEvents(
                        good.map { ($0.index, $0.event, $0.payload) }, signedBy: keys, sealed: seal,
                        paths: events.map(\.path), continueOnError: continueOnError)
                    let (renumbered, refusedThere) = renumbered(recorded, refusedRemotely)
                    return try report(
                        recorded: renumbered, refused: refused + refusedThere, of: events.count + badRows)
                }
                guard case .local(let options) = target else { return }
                let submissions = try Recording.submissions(good.map(\.payload), with: keys, sealed: seal) { done in
                    Output.progress(seal ? "sealing" : "signing", Int64(done), Int64(good.count))
                }
                let ledger = try await options.open()
                let prepared = try Ledger.prepare(submissions)
                if Output.isTerminal { FileHandle.standardError.write(Data("recording \(good.count) events…\n".utf8)) }
                var recorded: [Recorded] = []
                if continueOnError {
                    for (i, result) in try await ledger.appendEach(prepared: prepared).enumerated() {
                        switch result {
                        case .success(let seq):
                            recorded.append(
                                Recorded(index: indexOf(good[i].index), seq: seq, hash: good[i].event.hash()))
                        case .failure(let error):
                            refused.append(
                                Import.refusal(error, index: indexOf(good[i].index), path: pathOf(good[i].index)))
                        }
                    }
                } else {
                    do {
                        let range = try await ledger.append(prepared: prepared)
                        recorded = good.enumerated().map { i, g in
                            Recorded(index: indexOf(g.index), seq: range.lowerBound + Int64(i), hash: g.event.hash())
                        }
                    } catch let error as LedgerError {
                        guard case .refused(let i, _, _) = error else { throw error }
                        let refusal = Import.refusal(error, index: indexOf(good[i].index), path: pathOf(good[i].index))
                        throw CommandFailure(
                            CommandFailure.inputRefused,
                            "nothing recorded: "
                                + (rowsOf.isEmpty ? "event \(refusal.index) (\(refusal.path))" : refusal.path)
                                + " refused: \(refusal.reason)")
                    }
                }
                try report(recorded: recorded, refused: refused, of: events.count + badRows)
            }
        }

        /// Prints the outcome (the summary, or the JSON report) and exits 2 whenever an event was refused, so a
        /// script notices.
        func report(recorded: [Recorded], refused: [Refused], of count: Int) throws {
            let refused = refused.sorted { $0.index < $1.index }
            if json {
                try Output.json(Report(recorded: recorded, refused: refused))
            } else {
                for r in refused { Output.error("refused event \(r.index) (\(r.path)): \(r.reason)") }
                let span = recorded.first.map { " as records \($0.seq)–\(recorded[recorded.count - 1].seq)" } ?? ""
                Output.line(
                    "recorded \(recorded.count) of \(count) events\(span); refused \(Set(refused.map(\.index)).count)")
            }
            if !refused.isEmpty { throw ExitCode(CommandFailure.inputRefused) }
        }

        static func refusal(_ error: LedgerError, index: Int, path: String) -> Refused {
            switch error {
            case .refused(_, let reason, let existing):
                Refused(index: index, path: path, code: reason.codeName, reason: reason.reason, existing: existing)
            case .invalidStatement(_, let reason):
                Refused(index: index, path: path, code: reason.codeName, reason: reason.reason, existing: nil)
            default: Refused(index: index, path: path, code: "record", reason: error.description, existing: nil)
            }
        }
    }
}

/// The participants who sign: `--as KEYFILE`, repeated for co-signers.
struct SignerOptions: ParsableArguments {
    @Option(
        name: .customLong("as"),
        help: ArgumentHelp(
            "The participant's private key file; repeat for co-signers (a brand co-signs its GTIN's commissioning).",
            valueName: "keyfile"))
    var signers: [String]

    func validate() throws {
        guard !signers.isEmpty else { throw ValidationError("Give the signer's key with --as.") }
    }

    func keys() throws -> [SigningKey] {
        try signers.map { try SigningKey(fileContents: try Files.readText($0, what: "key file")) }
    }
}
