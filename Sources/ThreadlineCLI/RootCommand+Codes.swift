import ArgumentParser
import Foundation
import GS1Identifiers
import Statements
import Threadline

extension RootCommand {
    struct Codes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "codes",
            abstract: "Hidden codes against copied labels: draw one per serial and commit to it in the ledger.",
            discussion: """
                The first-scan check (Specs/24-products.md §7): each serial gets a code of 10 characters (50 \
                bits) to print under a scratch panel or inside the packaging. The ledger keeps only a salted \
                scrypt hash of it, signed by the brand; the consumer page records the first correct entry. \
                Signed by the owner of the GTIN's company prefix (--as); locally or through a server.
                """,
            subcommands: [Commit.self])

        struct Commit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Draw a hidden code for each serial, commit to it, and write the codes to print.",
                discussion: """
                    Writes --out (mode 0600, never overwritten) as CSV: serial,code,link — what the label printer \
                    needs, and nothing the ledger keeps. The file is written first and removed if the \
                    commitments are not recorded, so no code is printed that the ledger does not know, and none \
                    the ledger knows is lost. A serial already committed is refused (exit 2), and nothing is \
                    recorded.
                    """)

            @OptionGroup var target: TargetOptions

            @Option(help: ArgumentHelp("The products' GTIN.", valueName: "gtin"))
            var gtin: String

            @Option(name: .customLong("serial"), help: ArgumentHelp("A serial (repeat).", valueName: "serial"))
            var serials: [String] = []

            @Option(help: ArgumentHelp("A file of serials, one a line.", valueName: "file"))
            var serialsFile: String?

            @Option(
                name: .customLong("as"),
                help: ArgumentHelp(
                    "The brand's private key file (the owner of the GTIN's prefix).", valueName: "keyfile"))
            var signer: String

            @Option(help: ArgumentHelp("Where to write the codes (CSV, mode 0600).", valueName: "file"))
            var out: String

            @Flag(help: "Print a JSON summary.")
            var json = false

            /// The most serials one command commits.
            static let maxSerials = 100_000

            func run() async throws {
                try await reportingFailures {
                    let key = try SigningKey(fileContents: try Files.readText(signer, what: "key file"))
                    let digits = try GTIN(gtin).digits
                    var all = serials
                    if let serialsFile {
                        all += try Files.readText(serialsFile, what: "serials file").split(whereSeparator: \.isNewline)
                            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    }
                    guard !all.isEmpty, all.count <= Self.maxSerials else {
                        throw CommandFailure(
                            CommandFailure.inputRefused,
                            "give 1 to \(Self.maxSerials) serials (--serial, --serials-file)")
                    }
                    guard Set(all).count == all.count else {
                        throw CommandFailure(CommandFailure.inputRefused, "a serial is given twice")
                    }
                    let products = try all.map { serial in
                        try DigitalLink.canonical(
                            asking: DigitalLink(.product(gtin: try GTIN(digits), serial: serial)).uri)
                    }
                    let codes = all.map { _ in HiddenCode.draw() }
                    // Committed on all cores: scrypt takes tens of milliseconds a code.
                    let envelopes = try Parallel.map(Array(zip(products, codes))) {
                        product, code -> Result<Envelope, any Error> in
                        Result {
                            let commitment = try CodeCommitment(
                                code: HiddenCode.normalized(code) ?? code, product: product)
                            return try Envelope(
                                signing: commitment.payload, type: CodeCommitment.payloadType, with: key)
                        }
                    }.map { try $0.get() }
                    let csv =
                        "serial,code,link\n"
                        + zip(zip(all, codes), products).map { pair, product in
                            "\(Self.csvField(pair.0)),\(pair.1),\(Self.csvField(product))"
                        }.joined(separator: "\n") + "\n"
                    try StateFile.writeSecret(csv, to: out)
                    let range: Range<Int64>
                    do {
                        switch try target.target(reader: key) {
                        case .local(let options):
                            let ledger = try await options.open()
                            let registry = try await ledger.currentRegistry()
                            if let refusal = registry.ownerRefusal(
                                gtin: digits, signers: [key.keyID], at: registry.size, what: "a commitment")
                            {
                                throw refusal
                            }
                            range = try await ledger.append(envelopes)
                        case .remote(let remote):
                            range = try await remote.submit(envelopes.map(\.canonicalJSON))
                        }
                    } catch {
                        try? FileManager.default.removeItem(atPath: out)
                        throw error
                    }
                    if json {
                        try Output.json(Summary(gtin: digits, committed: all.count, first: range.lowerBound, out: out))
                    } else {
                        Output.line(
                            "committed \(all.count) hidden codes as records \(range.lowerBound)–\(range.upperBound - 1); "
                                + "the codes to print are in \(out)")
                    }
                }
            }

            struct Summary: Encodable {
                let gtin: String
                let committed: Int
                let first: Int64
                let out: String
            }

            /// A CSV field, quoted when it holds a comma, a quote or a line break.
            static func csvField(_ text: String) -> String {
                guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
        }
    }
}
