import EPCIS
import Foundation
import LedgerStore
import LedgerStoreSQLite
import Logging
import Statements
import Threadline
import TransparencyLog

/// `threadline demo`: records the two supply chains of `samples/` in a new SQLite ledger under the rules, shows
/// what a consumer and a marketplace see, proves a record offline, audits the ledger, and ends where a consumer
/// starts — the command that serves the ledger and the consumer pages to open. `Specs/05-cli.md` §demo.
public struct Demo {
    /// The folder the ledger, the samples and the proofs are written in (it exists and is empty).
    let folder: URL
    /// Where each line of the story goes.
    let say: (String) -> Void

    public init(folder: URL, say: @escaping (String) -> Void) {
        self.folder = folder
        self.say = say
    }

    /// The ledger the demo builds, with what its steps leave for the next ones.
    private struct Run {
        let path: String
        let store: any LedgerStore
        let ledger: Ledger
        let operatorKey: SigningKey
    }

    /// Tells the whole story; returns whether the audit found the ledger sound.
    public func run(logger: Logger) async throws -> Bool {
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let operatorKey = try SigningKey(generatingWithName: DemoStory.origin)
        try StateFile.writeSecret(operatorKey.fileContents, to: path + ".operator-key")
        let store = try SQLiteLedgerStore.create(path: path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey, logger: logger)
        let run = Run(path: path, store: store, ledger: ledger, operatorKey: operatorKey)
        let samples = folder.appendingPathComponent("samples")
        try DemoStory.write(to: samples)

        say("Threadline demo: an organic-cotton T-shirt and a leather sneaker, from raw material to shop\n")
        say("ledger    \(path)")
        say("operator  \(operatorKey.keyID)")
        say("samples   \(samples.path)/ (EPCIS 2.0 documents; TEST-ONLY keys in keys/)\n")
        try await register(run)
        let saleRecord = try await record(run)
        try await showJourneys(run)
        try await checkListings(run)
        let (proofPath, entryPath) = try await prove(run, record: saleRecord)
        let sound = try await audit(run)
        let bundlePath = try await bundle(run)
        let (consumerPath, confidential) = try await consumerBundle(run)
        try await passport(run)
        tryNext(run, bundle: bundlePath, consumer: consumerPath, proof: proofPath, entry: entryPath)
        return sound && confidential
    }

    /// 1. The operator registers every participant; the brands authorise their channels.
    private func register(_ run: Run) async throws {
        say("1. The operator registers the participants; the brands authorise their channels:")
        for profile in try DemoStory.participants() {
            let statement = RegistryStatement.registration(profile, basis: try await run.ledger.size())
            let envelope = try Envelope(
                signing: statement.payload, type: RegistryStatement.payloadType, with: run.operatorKey)
            let seq = try await run.ledger.append([envelope]).lowerBound
            say(
                column("  #\(seq)", 7) + column(profile.id, 22)
                    + column(profile.roles.map(\.rawValue).joined(separator: ", "), 14) + profile.name)
        }
        for (brand, channel) in try DemoStory.authorizations() {
            let statement = RegistryStatement.channelAuthorization(
                brand: brand, channel: channel, companyPrefixes: [], withdrawn: false,
                basis: try await run.ledger.size())
            let envelope = try Envelope(
                signing: statement.payload, type: RegistryStatement.payloadType, with: DemoStory.key(brand))
            let seq = try await run.ledger.append([envelope]).lowerBound
            say(column("  #\(seq)", 7) + "\(brand) authorises \(channel)")
        }
    }

    /// 2. Each party signs and records its documents; returns the record of the T-shirt's sale.
    private func record(_ run: Run) async throws -> Int64 {
        say(
            "\n2. Each party seals its EPCIS 2.0 events (every field a salted digest, RFC 9901) and signs them (DSSE,"
                + " Ed25519);\n   the ledger opens each, checks signer, role, duplicates, and keeps the fields beside the log:"
        )
        var saleRecord: Int64 = 0
        for document in try DemoStory.documents() {
            let (events, problems) = EPCISDocument.readEach(document.json)
            if !problems.isEmpty { throw EPCISValidationError(problems: problems) }
            let payloads = try events.map { try $0.result.get().payload }
            let keys = try document.signers.map(DemoStory.key)
            let range = try await run.ledger.append(
                prepared: try Ledger.prepare(try Recording.submissions(payloads, with: keys, sealed: true)))
            for (i, event) in events.enumerated()
            where (try? event.result.get().event.bizStepTerm) == "retail_selling" && document.file.hasPrefix("tshirt") {
                saleRecord = range.lowerBound + Int64(i)
            }
            say(
                column("  #\(range.lowerBound)–\(range.upperBound - 1)", 11) + column(document.file, 34)
                    + "\(events.count) events, signed by \(document.signers.joined(separator: " and "))")
        }
        // The brands describe their products, in English and Chinese (Specs/24).
        for (fields, signer) in try DemoStory.products() {
            guard case .object(let members) = fields else { continue }
            let product = try ProductData(
                json: .object(members + [.init("basis", .number(String(try await run.ledger.size())))]))
            let envelope = try Envelope(
                signing: product.payload, type: ProductData.payloadType, with: DemoStory.key(signer))
            let seq = try await run.ledger.append([envelope]).lowerBound
            say(
                column("  #\(seq)", 7)
                    + "\(signer) describes GTIN \(product.gtin): \(product.name.text(for: ["en"])) / "
                    + product.name.text(for: ["zh-CN"]))
        }
        // The brands commit to the hidden codes of their serials (Specs/24 §7), scrypt on all cores.
        for (products, brand) in DemoStory.serials {
            let key = try DemoStory.key(brand)
            let envelopes = try Parallel.map(products) { product -> Result<Envelope, any Error> in
                Result {
                    let code = HiddenCode.normalized(DemoStory.hiddenCode(product)) ?? ""
                    let commitment = try CodeCommitment(code: code, product: product)
                    return try Envelope(signing: commitment.payload, type: CodeCommitment.payloadType, with: key)
                }
            }.map { try $0.get() }
            let range = try await run.ledger.append(envelopes)
            say(
                column("  #\(range.lowerBound)–\(range.upperBound - 1)", 11)
                    + "\(brand) commits to the hidden codes of \(products.count) serials")
        }
        // What anyone copying the log sees of a record: its type and digests, not a field.
        let sale = try LedgerRecord(bytes: try await run.ledger.entry(saleRecord)).envelope
        let sealed = try JSONValue(parsing: sale.payload)
        say(
            "  The log, public, holds only digests: record #\(saleRecord) (the T-shirt's sale) is a sealed "
                + "\(sealed["type"]?.stringValue ?? "event") with \(sealed["_sd"]?.elements?.count ?? 0) digests"
                + " — no serial, place, time or step")
        return saleRecord
    }

    /// 3. The journeys a consumer sees.
    private func showJourneys(_ run: Run) async throws {
        for (title, code) in [("T-shirt TS-0001", DemoStory.tshirt), ("sneaker SN-0001", DemoStory.sneaker)] {
            say("\n3. The journey a consumer sees for \(title) (threadline trace --brief):\n")
            for line in JourneyText.brief(try await run.ledger.trace(code)) { say("  " + line) }
        }
    }

    /// 4. A marketplace's listing checks: a genuine T-shirt, a recalled one, a cloned sneaker.
    private func checkListings(_ run: Run) async throws {
        say("\n4. A marketplace checks listings against the ledger (threadline check-listing):\n")
        let listings: [(String, String, [(key: String, value: String)])] = [
            (DemoStory.unsoldTshirt, "shopstream", [("certification", "GOTS"), ("countryOfOrigin", "IN")]),
            (DemoStory.recalledTshirt, "shopstream", []),
            (DemoStory.clonedSneaker, "quickdeals", []),
        ]
        for (code, seller, claims) in listings {
            let result = try await run.ledger.checkListing(code: code, seller: seller, claims: claims)
            let claimed =
                claims.isEmpty ? "" : " claiming " + claims.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            say(
                "  \(result.verdict.rawValue)  \(JourneyWords.shortened(result.identifier)) offered by \(seller)\(claimed)"
            )
            for finding in result.findings {
                let records =
                    finding.records.isEmpty
                    ? "" : " (records \(finding.records.map(String.init).joined(separator: ", ")))"
                say("    \(finding.reason.rawValue)\(records): \(finding.message)")
            }
        }
    }

    /// 5. A signed checkpoint, and the sale's proof checked offline; returns the proof's and the record's files.
    private func prove(_ run: Run, record: Int64) async throws -> (proof: URL, entry: URL) {
        let checkpoint = try await run.ledger.checkpoint()
        say("\n5. The operator signs a checkpoint (C2SP tlog-checkpoint):\n")
        say(String(checkpoint.encoded.dropLast()))
        let proof = try await run.ledger.inclusionProof(record)
        let entry = try await run.ledger.entry(record)
        let proofPath = folder.appendingPathComponent("record-\(record).tlog-proof")
        let entryPath = folder.appendingPathComponent("record-\(record).entry")
        try Data(proof.encoded.utf8).write(to: proofPath)
        try Data(entry).write(to: entryPath)
        say(
            "\nAnyone can check the T-shirt's sale (record #\(record)) offline, with the proof, the record and the operator's key:"
        )
        switch proof.verify(entry: entry, log: run.ledger.operatorVerifier) {
        case .valid(let body): say("  ok: record #\(record) is in \(body.origin) at tree size \(body.size)")
        case .invalid(_, let why): say("  FAIL: \(why)")
        }
        return (proofPath, entryPath)
    }

    /// 6. The audit of the whole ledger.
    private func audit(_ run: Run) async throws -> Bool {
        say(
            "\n6. The audit re-checks every signature, the hash chain, every stored hash and checkpoint, the rules, the index:"
        )
        let report = await Auditor(store: run.store).run()
        if report.isSound {
            say(
                "  ok: \(report.records) records, \(report.signatures) signatures, "
                    + "\(report.storedHashes) stored hashes, \(report.checkpoints) checkpoint(s)")
        } else {
            for finding in report.findings { say("  FAIL: \(finding)") }
        }
        return report.isSound
    }

    /// The genuine T-shirt's offline bundle, verified with no database; returns its file.
    private func bundle(_ run: Run) async throws -> URL {
        let bundlePath = folder.appendingPathComponent("TS-0002.bundle")
        let bundle = try await run.ledger.bundle(DemoStory.unsoldTshirt)
        try Data(bundle.encoded).write(to: bundlePath)
        let offline = try await ProductBundle(parsing: bundle.encoded).verify(
            log: run.ledger.operatorVerifier, seller: "shopstream")
        say(
            "\nThe genuine T-shirt's offline bundle (\(bundle.entries.count) records, \(bundlePath.lastPathComponent)) verifies"
                + " with no database: \(offline.journey.steps.count) steps, verdict \(offline.listing?.verdict.rawValue ?? "-")"
        )
        return bundlePath
    }

    /// 7. What a shopper's phone is given, unsigned: the T-shirt's sealed records with only the fields a consumer
    /// may see, verified offline; returns its file, and whether no other serial of the batch is in it.
    /// 8. The T-shirt's Digital Product Passport, issued by its brand.
    private func passport(_ run: Run) async throws {
        let path = folder.appendingPathComponent("TS-0001.passport.jwt")
        let brand = try DemoStory.key("northwind-apparel")
        let sources = try await run.ledger.passportSources(DemoStory.tshirt)
        let passport = ProductPassport(
            sources, issuer: (ProductPassport.didKey(brand.verifier.publicKey), "Northwind Apparel"),
            millis: Int64(Date().timeIntervalSince1970 * 1000), id: "urn:uuid:" + UUID().uuidString.lowercased())
        let jws = try passport.jws(signedBy: brand)
        try Data((jws + "\n").utf8).write(to: path)
        let subject = passport.credential["credentialSubject"]
        say("\n8. The T-shirt's Digital Product Passport (UN Transparency Protocol; threadline passport):")
        say(
            "  a W3C Verifiable Credential, VC-JOSE (application/vc+jwt, EdDSA), issued by Northwind Apparel as "
                + ProductPassport.didKey(brand.verifier.publicKey))
        say(
            "  \(subject?["product"]?["name"]?.stringValue ?? ""), made in "
                + "\(subject?["product"]?["countryOfProduction"]?.stringValue ?? "?"); "
                + "\(subject?["materialsProvenance"]?.elements?.count ?? 0) materials, "
                + "\(subject?["conformityClaim"]?.elements?.count ?? 0) conformity claims, "
                + "\(sources.entries.count) records of evidence proved against the checkpoint; "
                + "\(path.lastPathComponent) (\(jws.utf8.count) bytes)")
    }

    private func consumerBundle(_ run: Run) async throws -> (URL, Bool) {
        let path = folder.appendingPathComponent("TS-0001.consumer.bundle")
        let bundle = try await run.ledger.bundle(DemoStory.tshirt, for: .anyone)
        try Data(bundle.encoded).write(to: path)
        let offline = try await ProductBundle(parsing: bundle.encoded).verify(log: run.ledger.operatorVerifier)
        let sealed = bundle.entries.filter { $0.disclosures != nil }
        let kept = try await run.store.openings(at: sealed.map(\.seq)).values.map { try Opening(stored: $0) }
        let given = sealed.compactMap(\.disclosures).map(\.count).reduce(0, +)
        say("\n7. What a shopper's phone is given for T-shirt TS-0001, unsigned (GET /bundle, bundle --consumer):")
        say(
            "  \(sealed.count) sealed records with \(given) of their \(kept.map(\.disclosures.count).reduce(0, +)) "
                + "fields (\(path.lastPathComponent)); verified with no database: \(offline.journey.steps.count) steps, "
                + "each field checked against its signed record")
        let full = try await run.ledger.trace(DemoStory.tshirt)
        guard
            let made = full.steps.first(where: { $0.event.kind == .transformation && !$0.event.outputEPCList.isEmpty }),
            let shown = offline.journey.steps.first(where: { $0.seq == made.seq })
        else { throw DemoError(.sample, "the T-shirt's journey has no step that made it") }
        say(
            "  the step that made it (#\(made.seq)) shows \(shown.event.outputEPCList.count) of the "
                + "\(made.event.outputEPCList.count) serials it made, and no quantity, place or order")
        // The batch's other serials, looked for in the bundle and in what its disclosures say.
        let others: [String] = made.event.outputEPCList.compactMap { epc in
            let serial = String(epc.split(whereSeparator: { $0 == "/" || $0 == "." }).last ?? "")
            return serial == "TS-0001" ? nil : serial
        }
        var text = String(decoding: bundle.encoded, as: UTF8.self)
        for entry in sealed {
            for disclosure in entry.disclosures ?? [] { text += try Disclosure(parsing: disclosure).value.serialized }
        }
        let leaked = others.filter { text.contains($0) }
        say(
            leaked.isEmpty
                ? "  none of the batch's \(others.count) other serials is in it"
                : "  FAIL: the bundle names \(leaked.joined(separator: ", "))")
        return (path, leaked.isEmpty)
    }

    /// What to try next, ending with the consumer pages the demo ledger serves.
    private func tryNext(_ run: Run, bundle: URL, consumer: URL, proof: URL, entry: URL) {
        let ledger = run.path
        let vkey = run.operatorKey.keyID
        say("\nTry next:")
        say("  threadline trace --ledger \(ledger) \(DemoStory.recalledTshirt)    # the recalled batch")
        say("  threadline events --ledger \(ledger) EQ_bizStep=retail_selling")
        say("  threadline check --ledger \(ledger)    # the integrity rules: the clone and the recall")
        say("  threadline participant list --ledger \(ledger)")
        say("  threadline verify-bundle \(bundle.path) --vkey '\(vkey)' --seller shopstream")
        say("  threadline verify-bundle \(consumer.path) --vkey '\(vkey)'    # what the shopper's phone checks")
        say(
            "  threadline passport --ledger \(ledger) \(DemoStory.tshirt) --as \(folder.path)/samples/keys/northwind-apparel.key"
        )
        say("  threadline verify --ledger \(ledger)")
        say("  threadline verify-proof \(proof.path) --vkey '\(vkey)' --entry \(entry.path)")
        say("\nSee what a consumer sees after scanning a label: serve the demo ledger,")
        say("  threadline serve --ledger \(ledger)")
        say("and open, in a browser on this machine:")
        for (what, code) in [
            ("the genuine T-shirt", DemoStory.tshirt), ("a recalled T-shirt", DemoStory.recalledTshirt),
            ("the cloned sneaker", DemoStory.clonedSneaker),
            (
                "an unsold T-shirt: enter its hidden code, \(DemoStory.hiddenCode(DemoStory.unsoldTshirt)) (test-only)",
                DemoStory.unsoldTshirt
            ),
        ] {
            say("  \(Demo.localPage(code))    # \(what)")
        }
    }

    /// The consumer page of `code` (a Digital Link on id.gs1.org) on `threadline serve`'s default address.
    static func localPage(_ code: String) -> String {
        code.replacingOccurrences(of: "https://id.gs1.org", with: "http://127.0.0.1:8080")
    }

    private func column(_ text: String, _ width: Int) -> String {
        text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
