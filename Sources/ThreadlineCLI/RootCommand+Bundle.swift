import ArgumentParser
import Foundation
import Threadline
import TransparencyLog

extension RootCommand {
    struct BundleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Write a product's offline bundle: its journey's records, proofs and the checkpoint.",
            discussion: """
                The bundle holds every record of the product's journey and every registry statement, each with \
                its inclusion proof against the latest checkpoint (signed first if the log grew), and the \
                operator's seal over the whole; a sealed event's record comes with its disclosures. Needs the \
                operator key. With --consumer, what anyone holding the product is given instead: the sealed \
                steps' records with only the consumer's fields (Specs/23 §4). Through a server (--server, \
                --remote), the reader's view (Specs/21), verified before it is written. Specs/14-bundles.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The product's code (Digital Link or EPC URN).", valueName: "code"))
        var code: String

        @Option(help: ArgumentHelp("The bundle file to write (refused if it exists).", valueName: "file"))
        var out: String

        @Flag(
            help: ArgumentHelp(
                "Write a consumer's bundle (what an unsigned request gets): the sealed steps, with only the fields "
                    + "a consumer may see."))
        var consumer = false

        func run() async throws {
            try await reportingFailures {
                guard !FileManager.default.fileExists(atPath: out) else {
                    throw CommandFailure(CommandFailure.inputRefused, "'\(out)' already exists")
                }
                let bundle: ProductBundle
                switch try target.target(reader: try reader.load()) {
                case .local(let options):
                    bundle = try await options.open(needsOperatorKey: true).bundle(
                        code, for: consumer ? .anyone : .operator)
                case .remote(let remote):
                    // Written only once verified: the seal, the checkpoint, every record's proof.
                    bundle = try await remote.provedBundle(code).bundle
                }
                try Data(bundle.encoded).write(to: URL(fileURLWithPath: out))
                let body = try Checkpoint(text: bundle.checkpoint.text)
                let sealed = bundle.entries.compactMap(\.disclosures)
                Output.line(
                    "wrote \(out): \(bundle.entries.count) records of \(bundle.code), proved at tree size \(body.size)"
                        + (sealed.isEmpty
                            ? "" : "; \(sealed.count) sealed, with \(sealed.map(\.count).reduce(0, +)) disclosures"))
            }
        }
    }

    struct VerifyBundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-bundle",
            abstract: "Verify a product's offline bundle with no database; re-derive its journey and verdict.",
            discussion: """
                Checks the operator's seal, the checkpoint (and a quorum of witness cosignatures), every \
                record's inclusion proof and signatures, rebuilds the registry and the journey from the bundle \
                alone, and requires the journey to be exactly the bundle's events (with --partial, a reader's \
                view from a server, Specs/21: events the code's journey does not reach are allowed). Exit 1 if \
                anything fails (a changed byte included). With --seller, the listing verdict too (exit 3 suspect).
                """)

        @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The log's verifier key (or a file holding it).", valueName: "vkey"))
        var vkey: String

        @OptionGroup var witnesses: WitnessOptions

        @Option(help: ArgumentHelp("Also give the listing verdict for this seller.", valueName: "id"))
        var seller: String?

        @Flag(help: "The bundle is a reader's view: allow events the journey from the code does not reach.")
        var partial = false

        @Option(
            name: .customLong("claim"),
            help: ArgumentHelp("A listing claim, with --seller (repeat).", valueName: "key=value"))
        var claims: [String] = []

        func run() async throws {
            try await reportingFailures {
                let log = try Ed25519NoteVerifier(verifierKey: try Files.verifierKey(vkey))
                let witnessKeys = try witnesses.keys()
                let bytes = Array(try Files.read(file, what: "bundle"))
                let verification: ProductBundle.Verification
                let bundle: ProductBundle
                do {
                    bundle = try ProductBundle(parsing: bytes)
                    verification = try await bundle.verify(
                        log: log, witnesses: witnessKeys, quorum: witnesses.quorum, seller: seller,
                        claims: try ListingCSV.claims(claims), partial: partial)
                } catch let error as any CodedError {
                    Output.line("FAIL: \(error.codeName): \(error.reason)")
                    throw ExitCode(CommandFailure.verificationFailed)
                }
                let journey = verification.journey
                Output.line(
                    "ok: the journey of \(journey.identifier) (\(journey.steps.count) steps) is proved in "
                        + "\(verification.checkpoint.origin) at tree size \(verification.checkpoint.size)"
                        + (verification.cosigners.isEmpty
                            ? "" : ", cosigned by \(verification.cosigners.joined(separator: ", "))"))
                let sealed = bundle.entries.compactMap(\.disclosures)
                if !sealed.isEmpty {
                    let erased = bundle.entries.compactMap(\.erased).map(\.count).reduce(0, +)
                    Output.line(
                        "  \(sealed.count) sealed records: \(sealed.map(\.count).reduce(0, +)) disclosed fields, each "
                            + "checked against its signed record" + (erased > 0 ? "; \(erased) erased" : ""))
                }
                for line in JourneyText.brief(journey) { Output.line("  " + line) }
                for finding in verification.integrity { Output.line("  finding: \(finding)") }
                if let listing = verification.listing {
                    Output.line("verdict: \(listing.verdict.rawValue) for seller \(listing.seller)")
                    for finding in listing.findings { Output.line("  \(finding.reason.rawValue): \(finding.message)") }
                    if listing.verdict == .suspect { throw ExitCode(CommandFailure.suspect) }
                    if listing.verdict == .unknown { throw ExitCode(CommandFailure.notFound) }
                }
            }
        }
    }
}
