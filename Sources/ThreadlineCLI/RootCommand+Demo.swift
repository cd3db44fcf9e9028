import ArgumentParser
import Foundation
import LedgerStore
import Provenance
import Threadline
import TransparencyLog

extension RootCommand {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record two supply chains — a T-shirt and a sneaker — and show what a consumer sees.",
            discussion: """
                Creates a ledger in a new temporary folder (or --dir), registers the participants of samples/ \
                (farm, ginner, spinner, knitter, dyehouse, garment factory, brand, distributor and online \
                store; tannery, sole maker, shoe factory, brand and retailer), lets the brands authorise their \
                channels, records every party's EPCIS 2.0 events under the ledger's rules, prints the journey of \
                one T-shirt and one sneaker, proves a record offline, and audits the whole ledger. The folder \
                is kept so you can explore it with the other commands.
                """)

        @Option(help: ArgumentHelp("Build the demo ledger in this (new or empty) folder.", valueName: "dir"))
        var dir: String?

        func run() async throws {
            try await reportingFailures {
                Logs.bootstrap()
                let folder = try makeFolder()
                let ledgerPath = folder.appendingPathComponent("ledger.sqlite").path
                let operatorKey = try SigningKey(generatingWithName: DemoStory.origin)
                try Files.writeSecret(operatorKey.fileContents, to: ledgerPath + ".operator-key")
                let store = try SQLiteLedgerStore.create(
                    path: ledgerPath, metadata: Ledger.metadata(operatorKey: operatorKey))
                let ledger = try await Ledger(store: store, operatorKey: operatorKey, logger: Logs.ledger)
                let samples = folder.appendingPathComponent("samples")
                try DemoStory.write(to: samples)

                Output.line(
                    "Threadline demo: an organic-cotton T-shirt and a leather sneaker, from raw material to shop\n")
                Output.line("ledger    \(ledgerPath)")
                Output.line("operator  \(operatorKey.keyID)")
                Output.line("samples   \(samples.path)/ (EPCIS 2.0 documents; TEST-ONLY keys in keys/)\n")

                Output.line("1. The operator registers the participants; the brands authorise their channels:")
                for profile in try DemoStory.participants() {
                    let statement = RegistryStatement.registration(profile, basis: try await ledger.store.size())
                    let envelope = try Envelope(
                        signing: statement.payload, type: RegistryStatement.payloadType, with: operatorKey)
                    let seq = try await ledger.append([envelope]).lowerBound
                    Output.line(
                        "  #\(seq)".padding(toLength: 7, withPad: " ", startingAt: 0)
                            + profile.id.padding(toLength: 22, withPad: " ", startingAt: 0)
                            + profile.roles.map(\.rawValue).joined(separator: ", ").padding(
                                toLength: 14, withPad: " ", startingAt: 0)
                            + profile.name)
                }
                for (brand, channel) in try DemoStory.authorizations() {
                    let statement = RegistryStatement.channelAuthorization(
                        brand: brand, channel: channel, companyPrefixes: [], withdrawn: false,
                        basis: try await ledger.store.size())
                    let envelope = try Envelope(
                        signing: statement.payload, type: RegistryStatement.payloadType, with: DemoStory.key(brand))
                    let seq = try await ledger.append([envelope]).lowerBound
                    Output.line(
                        "  #\(seq)".padding(toLength: 7, withPad: " ", startingAt: 0) + "\(brand) authorises \(channel)"
                    )
                }

                Output.line(
                    "\n2. Each party signs its EPCIS 2.0 events (DSSE, Ed25519); the ledger checks signer, role, duplicates:"
                )
                var saleRecord: Int64 = 0
                for document in try DemoStory.documents() {
                    let (events, problems) = EPCISDocument.readEach(document.json)
                    if !problems.isEmpty { throw EPCISValidationError(problems: problems) }
                    let payloads = try events.map { try $0.result.get().payload }
                    let keys = try document.signers.map(DemoStory.key)
                    let range = try await ledger.append(
                        prepared: try Ledger.prepare(try Recording.sign(payloads, with: keys)))
                    for (i, event) in events.enumerated()
                    where (try? event.result.get().event.bizStepTerm) == "retail_selling"
                        && document.file.hasPrefix("tshirt")
                    {
                        saleRecord = range.lowerBound + Int64(i)
                    }
                    Output.line(
                        "  #\(range.lowerBound)–\(range.upperBound - 1)".padding(
                            toLength: 11, withPad: " ", startingAt: 0)
                            + document.file.padding(toLength: 34, withPad: " ", startingAt: 0)
                            + "\(events.count) events, signed by \(document.signers.joined(separator: " and "))")
                }
                for (title, code) in [("T-shirt TS-0001", DemoStory.tshirt), ("sneaker SN-0001", DemoStory.sneaker)] {
                    Output.line("\n3. The journey a consumer sees for \(title) (threadline trace --brief):\n")
                    let journey = try await ledger.trace(code)
                    for line in JourneyText.brief(journey) { Output.line("  " + line) }
                }

                Output.line("\n4. A marketplace checks listings against the ledger (threadline check-listing):\n")
                let listings: [(String, String, [(key: String, value: String)])] = [
                    (DemoStory.unsoldTshirt, "shopstream", [("certification", "GOTS"), ("countryOfOrigin", "IN")]),
                    (DemoStory.recalledTshirt, "shopstream", []),
                    (DemoStory.clonedSneaker, "quickdeals", []),
                ]
                for (code, seller, claims) in listings {
                    let result = try await ledger.checkListing(code: code, seller: seller, claims: claims)
                    let claimed =
                        claims.isEmpty
                        ? "" : " claiming " + claims.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                    Output.line(
                        "  \(result.verdict.rawValue)  \(JourneyWords.shortened(result.identifier)) offered by \(seller)\(claimed)"
                    )
                    for finding in result.findings {
                        let records =
                            finding.records.isEmpty
                            ? "" : " (records \(finding.records.map(String.init).joined(separator: ", ")))"
                        Output.line("    \(finding.reason.rawValue)\(records): \(finding.message)")
                    }
                }

                let checkpoint = try await ledger.checkpoint()
                Output.line("\n5. The operator signs a checkpoint (C2SP tlog-checkpoint):\n")
                Output.raw(Data(checkpoint.encoded.utf8))
                let proof = try await ledger.inclusionProof(saleRecord)
                let entry = try await ledger.entry(saleRecord)
                let proofPath = folder.appendingPathComponent("record-\(saleRecord).tlog-proof")
                let entryPath = folder.appendingPathComponent("record-\(saleRecord).entry")
                try Data(proof.encoded.utf8).write(to: proofPath)
                try Data(entry).write(to: entryPath)
                Output.line(
                    "\nAnyone can check the T-shirt's sale (record #\(saleRecord)) offline, with the proof, the record and the operator's key:"
                )
                switch proof.verify(entry: entry, log: ledger.operatorVerifier) {
                case .valid(let body):
                    Output.line("  ok: record #\(saleRecord) is in \(body.origin) at tree size \(body.size)")
                case .invalid(_, let why): Output.line("  FAIL: \(why)")
                }

                Output.line(
                    "\n6. The audit re-checks every signature, the hash chain, every stored hash and checkpoint, the rules, the index:"
                )
                let report = await Auditor(store: store).run()
                if report.isSound {
                    Output.line(
                        "  ok: \(report.records) records, \(report.signatures) signatures, "
                            + "\(report.storedHashes) stored hashes, \(report.checkpoints) checkpoint(s)")
                } else {
                    for finding in report.findings { Output.line("  FAIL: \(finding)") }
                }

                let bundlePath = folder.appendingPathComponent("TS-0002.bundle")
                let bundle = try await ledger.bundle(DemoStory.unsoldTshirt)
                try Data(bundle.encoded).write(to: bundlePath)
                let offline = try await ProductBundle(parsing: bundle.encoded).verify(
                    log: ledger.operatorVerifier, seller: "shopstream")
                Output.line(
                    "\nThe genuine T-shirt's offline bundle (\(bundle.entries.count) records, \(bundlePath.lastPathComponent)) verifies"
                        + " with no database: \(offline.journey.steps.count) steps, verdict \(offline.listing?.verdict.rawValue ?? "-")"
                )

                Output.line("\nTry next:")
                Output.line(
                    "  threadline trace --ledger \(ledgerPath) \(DemoStory.recalledTshirt)    # the recalled batch")
                Output.line("  threadline events --ledger \(ledgerPath) EQ_bizStep=retail_selling")
                Output.line(
                    "  threadline check --ledger \(ledgerPath)    # the integrity rules: the clone and the recall")
                Output.line("  threadline participant list --ledger \(ledgerPath)")
                Output.line(
                    "  threadline verify-bundle \(bundlePath.path) --vkey '\(operatorKey.keyID)' --seller shopstream")
                Output.line("  threadline verify --ledger \(ledgerPath)")
                Output.line(
                    "  threadline verify-proof \(proofPath.path) --vkey '\(operatorKey.keyID)' --entry \(entryPath.path)"
                )
                if !report.isSound { throw ExitCode(CommandFailure.verificationFailed) }
            }
        }

        private func makeFolder() throws -> URL {
            let fileManager = FileManager.default
            if let dir {
                let url = URL(fileURLWithPath: dir)
                if fileManager.fileExists(atPath: dir) {
                    guard (try? fileManager.contentsOfDirectory(atPath: dir))?.isEmpty == true else {
                        throw CommandFailure(CommandFailure.inputRefused, "'\(dir)' is not an empty folder")
                    }
                } else {
                    try fileManager.createDirectory(at: url, withIntermediateDirectories: true)
                }
                return url
            }
            let url = fileManager.temporaryDirectory.appendingPathComponent(
                "threadline-demo-\(UUID().uuidString.prefix(8))")
            try fileManager.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
    }
}
