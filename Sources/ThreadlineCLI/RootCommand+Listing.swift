import EPCIS
import ArgumentParser
import Foundation
import LedgerRules
import Threadline
import TransparencyLog

extension RootCommand {
    struct CheckListing: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-listing",
            abstract: "Is a listed product genuine, and may this seller sell it?",
            discussion: """
                Prints GENUINE, SUSPECT or UNKNOWN with the reasons and the records behind each: \
                UNKNOWN_PRODUCT, SELLER_NOT_AUTHORISED, SELLER_NOT_CUSTODIAN, ALREADY_SOLD, RECALLED, \
                CLONE_SUSPECTED, MASS_BALANCE_EXCEEDED, CLAIM_NOT_SUPPORTED. Claims: certification=TEXT (a \
                certificate a certifier recorded), brand=ID, or any instance/lot master data field, e.g. \
                countryOfOrigin=IN. The listing is judged at --at (its sale's time; default now): a brand's \
                authorisation with a window covers only the times within it. Exit 0 genuine, 3 suspect, 4 unknown. \
                Specs/13-listings.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Option(help: ArgumentHelp("The listed product's code (Digital Link or EPC URN).", valueName: "code"))
        var code: String

        @Option(help: ArgumentHelp("The seller's participant id.", valueName: "id"))
        var seller: String

        @Option(
            name: .customLong("claim"), help: ArgumentHelp("What the listing claims (repeat).", valueName: "key=value"))
        var claims: [String] = []

        @Option(help: ListingTime.help)
        var at: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let claims = try ListingCSV.claims(claims)
                let time = try ListingTime.micros(at)
                let result: ListingCheck.Result
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    result = try await options.open().checkListing(
                        code: code, seller: seller, claims: claims, at: time)
                case .remote(let remote):
                    result = try await remote.checkListing(code: code, seller: seller, claims: claims, at: at)
                }
                if json {
                    try Output.json(result)
                } else {
                    Output.line("\(result.verdict.rawValue)  \(result.identifier)  seller \(result.seller)")
                    for finding in result.findings {
                        let records =
                            finding.records.isEmpty
                            ? "" : "records \(finding.records.map(String.init).joined(separator: ", ")): "
                        Output.line(
                            "  " + finding.reason.rawValue.padding(toLength: 23, withPad: " ", startingAt: 0) + records
                                + finding.message)
                    }
                }
                switch result.verdict {
                case .genuine: break
                case .suspect: throw ExitCode(CommandFailure.suspect)
                case .unknown: throw ExitCode(CommandFailure.notFound)
                }
            }
        }
    }

    struct CheckListings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-listings",
            abstract: "Check many listings from a CSV file and write a report.",
            discussion: """
                FILE.csv has a header line with the columns code, seller and (optionally) claims — claims as \
                key=value pairs separated by ';'. Writes the report (CSV: code,seller,verdict,reasons,records; or \
                --json) to --out or standard output, with progress on a terminal, and a summary on stderr. Exit 0 \
                when the report is written, whatever the verdicts; 2 for a malformed file. Through a server \
                (--server, --remote), each listing is the server's verdict, asked with a signed request, once the \
                server's checkpoint is accepted. Every listing is judged at --at (default now).
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The listings, CSV.", valueName: "file.csv"))
        var file: String

        @Option(help: ListingTime.help)
        var at: String?

        @Option(help: ArgumentHelp("Write the report here instead of standard output.", valueName: "file"))
        var out: String?

        @Flag(help: "Write the report as JSON (an array of results) instead of CSV.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let listings = try ListingCSV.parse(try Files.readText(file, what: "listings file"))
                let (at, time) = (at, try ListingTime.micros(at))
                let check: @Sendable (ListingCSV.Listing) async throws -> ListingCheck.Result
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    let ledger = try await options.open()
                    let registry = try await ledger.currentRegistry()
                    check = {
                        try await ledger.checkListing(
                            code: $0.code, seller: $0.seller, claims: $0.claims, registry: registry, at: time)
                    }
                case .remote(let remote):
                    _ = try await remote.latestCheckpoint()
                    check = {
                        try await remote.checkListing(
                            code: $0.code, seller: $0.seller, claims: $0.claims, at: at, acceptingCheckpoint: false)
                    }
                }
                var results: [ListingCheck.Result?] = Array(repeating: nil, count: listings.count)
                let progress = ProgressCounter(total: listings.count)
                try await withThrowingTaskGroup(of: (Int, ListingCheck.Result).self) { group in
                    var next = 0
                    func add() {
                        guard next < listings.count else { return }
                        let index = next
                        let listing = listings[index]
                        group.addTask {
                            do {
                                return (index, try await check(listing))
                            } catch let error as any CodedError {
                                // A code refused as malformed (07 §2.1) is named with its listing.
                                throw error.saying("listing \(index + 1): \(error.reason)")
                            }
                        }
                        next += 1
                    }
                    for _ in 0..<min(listings.count, 4 * ProcessInfo.processInfo.activeProcessorCount) { add() }
                    while let (index, result) = try await group.next() {
                        results[index] = result
                        progress.step()
                        add()
                    }
                }
                let report = results.compactMap { $0 }
                let text: String
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    text = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
                } else {
                    text = ListingCSV.report(report)
                }
                if let out {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: out))
                } else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
                let counts = Dictionary(grouping: report, by: \.verdict).mapValues(\.count)
                Output.note(
                    "checked \(report.count) listings: \(counts[.genuine] ?? 0) genuine, \(counts[.suspect] ?? 0) suspect,"
                        + " \(counts[.unknown] ?? 0) unknown")
            }
        }
    }
}

/// Counts finished listings and draws progress on a terminal.
final class ProgressCounter: @unchecked Sendable {
    // Only touched from the command's own task (the task group's results loop), so no lock is needed.
    private var done = 0
    private let total: Int

    init(total: Int) { self.total = total }

    func step() {
        done += 1
        if done % 100 == 0 || done == total { Output.progress("checking listings", Int64(done), Int64(total)) }
    }
}

/// The listings file and the report (`Specs/13-listings.md` §2).
@_spi(Fuzzing) public enum ListingCSV {
    @_spi(Fuzzing) public struct Listing: Sendable {
        let code: String
        let seller: String
        let claims: [(key: String, value: String)]
    }

    static func claims(_ texts: [String]) throws -> [(key: String, value: String)] {
        try texts.map { text in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw CommandFailure(CommandFailure.inputRefused, "claim '\(text)' is not KEY=VALUE")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
    }

    /// RFC 4180 fields of one line (quotes, doubled quotes inside).
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = []
        var field = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let n = iterator.next() {
                        if n == "\"" {
                            field.append("\"")
                        } else if n == "," {
                            quoted = false; out.append(field); field = ""
                        } else {
                            quoted = false; field.append(n)
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                out.append(field)
                field = ""
            } else {
                field.append(c)
            }
        }
        out.append(field)
        return out.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @_spi(Fuzzing) public static func parse(_ text: String) throws -> [Listing] {
        var lines = text.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !lines.isEmpty else { throw CommandFailure(CommandFailure.inputRefused, "the listings file is empty") }
        let header = fields(lines.removeFirst()).map { $0.lowercased() }
        guard let code = header.firstIndex(of: "code"), let seller = header.firstIndex(of: "seller") else {
            throw CommandFailure(
                CommandFailure.inputRefused, "the listings file's header must name the columns code and seller")
        }
        let claimsColumn = header.firstIndex(of: "claims")
        return try lines.enumerated().map { number, line in
            let row = fields(line)
            guard row.count > max(code, seller), !row[code].isEmpty, !row[seller].isEmpty else {
                throw CommandFailure(
                    CommandFailure.inputRefused, "line \(number + 2) of the listings file has no code or seller")
            }
            let claims =
                claimsColumn.flatMap { $0 < row.count ? row[$0] : nil }.map {
                    $0.split(separator: ";").map { String($0).trimmingCharacters(in: .whitespaces) }.filter {
                        !$0.isEmpty
                    }
                } ?? []
            return Listing(code: row[code], seller: row[seller], claims: try Self.claims(claims))
        }
    }

    /// A report cell. The codes and sellers come from the listings file, which came from a marketplace's sellers:
    /// a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage return first) is written
    /// with a leading `'`, which spreadsheets show as text (OWASP's advice on CSV injection).
    static func quoted(_ field: String) -> String {
        let field = field.first.map { "=+-@\t\r".contains($0) } == true ? "'" + field : field
        return field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "'" })
            ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    static func report(_ results: [ListingCheck.Result]) -> String {
        var out = "code,seller,verdict,reasons,records\n"
        for r in results {
            let reasons = r.findings.map(\.reason.rawValue).joined(separator: ";")
            let records = Array(Set(r.findings.flatMap(\.records))).sorted().map(String.init).joined(separator: ";")
            out += [r.code, r.seller, r.verdict.rawValue, reasons, records].map(quoted).joined(separator: ",") + "\n"
        }
        return out
    }
}

/// The time a listing is judged at (`--at`): an xsd:dateTime with a zone.
enum ListingTime {
    static let help = ArgumentHelp(
        "Judge the listing at this time, a date and time with a zone (default now).", valueName: "time")

    /// `text` in microseconds since the epoch; now when nil.
    static func micros(_ text: String?) throws -> Int64 {
        guard let text else { return Timestamp.nowMicros }
        guard let time = Timestamp.parseDateTime(text) else {
            throw CommandFailure(
                CommandFailure.inputRefused,
                "--at must be a date and time with a zone (2026-12-12T20:00:00+08:00), not '\(text)'")
        }
        return time.micros
    }
}
