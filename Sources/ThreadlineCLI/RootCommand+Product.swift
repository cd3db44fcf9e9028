import ArgumentParser
import EPCIS
import Foundation
import GS1Identifiers
import Participants
import Statements
import Threadline
import TransparencyLog

extension RootCommand {
    struct ProductCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "product",
            abstract: "Record and show what a brand says of its products: name, composition, care, in languages.",
            discussion: """
                A product statement is signed by the owner of the GTIN's company prefix; the latest recorded for \
                a GTIN applies, and older ones stay in the log. Specs/24-products.md.
                """,
            subcommands: [Set.self, Show.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record a product's data from a JSON file, signed by its brand; print the sequence number.",
                discussion: """
                    The file holds the product's members (Specs/24-products.md §2): name (required), brandName, \
                    description, category and care as {"<language tag>": text} (en, zh-CN …); image (an https \
                    URL); composition as [{"fibre", "percent"}] adding up to 100; recycledContent (per cent); \
                    countryOfManufacture (ISO 3166-1 alpha-2). Its "gtin", if any, must be --gtin's; the basis is \
                    the log's size, set here. Through a server (--server, --remote) the statement is signed here \
                    against the server's verified tree size, and the server's rules decide.
                    """)

            @OptionGroup var target: TargetOptions

            @Option(help: ArgumentHelp("The product's GTIN (8, 12, 13 or 14 digits).", valueName: "gtin"))
            var gtin: String

            @Argument(help: ArgumentHelp("The product data, as JSON ('-' for standard input).", valueName: "file"))
            var file: String

            @Option(
                name: .customLong("as"),
                help: ArgumentHelp(
                    "The brand's private key file (the owner of the GTIN's company prefix).",
                    valueName: "keyfile"))
            var signer: String

            @Flag(help: "Print a JSON summary.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let key = try SigningKey(fileContents: try Files.readText(signer, what: "key file"))
                    let digits = try GTIN(gtin).digits
                    let fields = try Self.fields(try Files.read(file, what: "product file"), gtin: digits)
                    let seq: Int64
                    switch try target.target(reader: key) {
                    case .local(let options):
                        let ledger = try await options.open()
                        let registry = try await ledger.currentRegistry()
                        let product = try Self.product(fields, gtin: digits, basis: registry.size)
                        if let refusal = registry.refusal(of: product, signers: [key.keyID], at: registry.size) {
                            throw refusal
                        }
                        let envelope = try Envelope(signing: product.payload, type: ProductData.payloadType, with: key)
                        seq = try await ledger.append([envelope]).lowerBound
                    case .remote(let remote):
                        let (_, latest) = try await remote.latestCheckpoint()
                        let product = try Self.product(fields, gtin: digits, basis: latest.size)
                        let envelope = try Envelope(signing: product.payload, type: ProductData.payloadType, with: key)
                        seq = try await remote.submit([envelope.canonicalJSON]).lowerBound
                    }
                    if json {
                        try Output.json(Summary(seq: seq, gtin: digits))
                    } else {
                        Output.line(String(seq))
                    }
                }
            }

            struct Summary: Encodable {
                let seq: Int64
                let gtin: String
            }

            /// The file's members, with `gtin` set; a file naming another GTIN, or a basis, is refused.
            static func fields(_ data: Data, gtin: String) throws -> [JSONValue.Member] {
                guard data.count <= LedgerRecord.maxEnvelopeBytes else {
                    throw CommandFailure(
                        CommandFailure.inputRefused, "the product file is larger than a record may hold")
                }
                let json: JSONValue
                do { json = try JSONValue(parsing: data) } catch let error as EPCISError {
                    throw CommandFailure(CommandFailure.inputRefused, "the product file is not JSON: \(error.reason)")
                }
                guard let members = json.members else {
                    throw CommandFailure(CommandFailure.inputRefused, "the product file holds a JSON object")
                }
                if let given = json["gtin"] {
                    guard let text = given.stringValue, (try? GTIN(text).digits) == gtin else {
                        throw CommandFailure(
                            CommandFailure.inputRefused, "the product file's \"gtin\" is not --gtin \(gtin)")
                    }
                }
                guard json["basis"] == nil else {
                    throw CommandFailure(
                        CommandFailure.inputRefused,
                        "the product file gives a \"basis\"; it is set when the statement is signed")
                }
                return [.init("gtin", .string(gtin))] + members.filter { $0.key != "gtin" }
            }

            static func product(_ fields: [JSONValue.Member], gtin: String, basis: Int64) throws -> ProductData {
                try ProductData(json: .object(fields + [.init("basis", .number(String(basis)))]))
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show the product data that applies to a GTIN (the latest recorded).",
                discussion: """
                    Texts are shown in the first of the --lang languages the brand gave (default: English, else \
                    the first). Through a server, the statement's record is proved in a checkpoint the client \
                    accepts, and its signer checked against the proved registry as the owner of the GTIN's \
                    company prefix. Exit 4 when no product data is recorded for the GTIN.
                    """)

            @OptionGroup var target: TargetOptions

            @Option(help: ArgumentHelp("The product's GTIN (8, 12, 13 or 14 digits).", valueName: "gtin"))
            var gtin: String

            @Option(
                name: .customLong("lang"),
                help: ArgumentHelp("A language to show texts in, most wanted first (repeat).", valueName: "tag"))
            var languages: [String] = []

            @Option(
                name: .customLong("as"),
                help: ArgumentHelp(
                    "Through a server: the participant key that signs the requests.", valueName: "keyfile"))
            var reader: String?

            @Flag(help: "Print the statement and its record as JSON.")
            var json = false

            func run() async throws {
                try await reportingFailures {
                    let digits = try GTIN(gtin).digits
                    let shown: Shown
                    switch try target.target(reader: try reader.map(TargetOptions.signingKey)) {
                    case .local(let options):
                        let ledger = try await options.open()
                        guard let recorded = try await ledger.product(gtin: digits) else { throw Self.none(digits) }
                        let registry = try await ledger.currentRegistry()
                        shown = Shown(
                            seq: recorded.seq, product: recorded.product,
                            signer: Self.owner(
                                of: recorded.product, signers: recorded.signers, in: registry, at: recorded.seq))
                    case .remote(let remote):
                        guard let proved = try await remote.product(gtin: digits) else { throw Self.none(digits) }
                        shown = Shown(seq: proved.seq, product: proved.product, signer: proved.owner)
                    }
                    if json {
                        Output.jsonLine(
                            JSONValue.object([
                                .init("seq", .number(String(shown.seq))), .init("signer", .string(shown.signer)),
                                .init("product", shown.product.json),
                            ]).serialized)
                    } else {
                        ProductText(shown.product, languages: languages).lines(seq: shown.seq, signer: shown.signer)
                            .forEach(Output.line)
                    }
                }
            }

            struct Shown {
                let seq: Int64
                let product: ProductData
                let signer: String
            }

            static func none(_ gtin: String) -> CommandFailure {
                CommandFailure(CommandFailure.notFound, "no product data is recorded for GTIN \(gtin)")
            }

            /// The participant that signed as the GTIN's owner (its id), or the first signer's key.
            static func owner(
                of product: ProductData, signers: [String], in registry: Registry, at seq: Int64
            )
                -> String
            {
                for key in signers {
                    if case .valid(let id) = registry.signer(key, at: seq),
                        registry.participants[id]?.companyPrefix(ofGTIN: product.gtin) != nil
                    {
                        return id
                    }
                }
                return signers.first ?? ""
            }
        }
    }
}

/// Product data as `product show` prints it: a label and a value a line, texts in the reader's language.
struct ProductText {
    let product: ProductData
    let languages: [String]

    init(_ product: ProductData, languages: [String]) {
        self.product = product
        self.languages = languages
    }

    func lines(seq: Int64, signer: String) -> [String] {
        var lines = ["gtin         \(product.gtin)   (record \(seq), signed by \(signer))"]
        func add(_ label: String, _ text: LocalizedText?) {
            guard let text else { return }
            let entry = text.entry(for: languages)
            let padded = label.padding(toLength: 13, withPad: " ", startingAt: 0)
            let body = entry.text.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append(padded + body.joined(separator: "\n" + String(repeating: " ", count: 13)))
        }
        add("name", product.name)
        add("brand", product.brandName)
        add("category", product.category)
        add("description", product.description)
        if !product.composition.isEmpty {
            lines.append(
                "composition  "
                    + product.composition.map { "\($0.fibre) \(ProductData.percentText($0.percent)) %" }.joined(
                        separator: ", "))
        }
        if let recycled = product.recycledContent {
            lines.append("recycled     \(ProductData.percentText(recycled)) %")
        }
        if let country = product.countryOfManufacture { lines.append("made in      \(country)") }
        if let image = product.image { lines.append("image        \(image)") }
        add("care", product.care)
        lines.append("languages    " + product.languages.joined(separator: ", "))
        return lines
    }
}
