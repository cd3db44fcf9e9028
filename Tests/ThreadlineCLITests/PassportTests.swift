import Foundation
import Statements
import Testing
import Threadline
import ThreadlineTestSupport

/// Digital Product Passports (Specs/24-products.md §8): issued by the brand locally and through a server, served
/// by the resolver, each checked by an independent JOSE library and against the UNTP DPP JSON Schema.
struct PassportTests {
    static let schema = Corpus.vectors.appendingPathComponent("untp/dpp-schema.json").path

    /// The Python peer's verdict on `passport --json` output.
    static func peer(_ output: String) throws -> (status: Int32, output: String) {
        try PythonPeer.run([schema], script: "ThreadlineCLITests/passport_peer.py", stdin: output)
    }

    @Test(.enabled(if: PythonPeer.passportRuns, "needs: pip install jsonschema jwcrypto (always run in CI)"))
    func theBrandIssuesAPassportThatAnyJOSELibraryAndTheUNTPSchemaAccept() async throws {
        let folder = try CLI.folder()
        #expect(try CLI.run(["demo", "--dir", "d"], in: folder).status == 0)
        let shirt = "https://id.gs1.org/01/00614141123452/21/TS-0001"
        let brandKey = "d/samples/keys/northwind-apparel.key"
        let local = try CLI.run(
            ["passport", "--ledger", "d/ledger.sqlite", shirt, "--as", brandKey, "--json"], in: folder)
        #expect(local.status == 0, "\(local.stderr)")
        let checked = try Self.peer(local.output)
        #expect(checked.status == 0, "\(checked.output)")
        let brand = try SigningKey(
            fileContents: String(contentsOf: folder.appendingPathComponent(brandKey), encoding: .utf8))
        let did = ProductPassport.didKey(brand.verifier.publicKey)
        #expect(checked.output.trimmingCharacters(in: .newlines) == "\(did) \(shirt)")
        // What it says: derived from the ledger, as the page says it, with the evidence to check it.
        let json = try #require(try JSONSerialization.jsonObject(with: local.stdout) as? [String: Any])
        let credential = try #require(json["credential"] as? [String: Any])
        let subject = try #require(credential["credentialSubject"] as? [String: Any])
        let product = try #require(subject["product"] as? [String: Any])
        #expect(
            product["name"] as? String == "Organic cotton T-shirt" && product["countryOfProduction"] as? String == "BD")
        #expect(subject["granularityLevel"] as? String == "item")
        let materials = try #require(subject["materialsProvenance"] as? [[String: Any]])
        #expect(materials.first?["name"] as? String == "cotton" && materials.first?["originCountry"] as? String == "IN")
        #expect(materials.contains { $0["name"] as? String == "Organic seed cotton" })
        let traceability = try #require(subject["traceabilityInformation"] as? [[String: Any]])
        #expect(traceability.compactMap { ($0["traceabilityEvent"] as? [Any])?.count }.reduce(0, +) == 33)
        let evidence = try #require((credential["evidence"] as? [[String: Any]])?.first)
        #expect((evidence["records"] as? [Any])?.count == 33)
        #expect((evidence["checkpoint"] as? String)?.hasPrefix("demo.threadline.example/supply\n") == true)
        // No quantity, no other serial of a batch (the subject is words and identifiers; the evidence is base64).
        let said = String(decoding: try JSONSerialization.data(withJSONObject: subject), as: UTF8.self)
        #expect(!said.contains("KGM") && !said.contains("quantity"))
        #expect(!local.output.contains("TS-0002"))
        // Another's key issues another's passport: the did is the signer's.
        let other = try CLI.run(
            ["passport", "--ledger", "d/ledger.sqlite", shirt, "--as", "d/samples/keys/shopstream.key", "--json"],
            in: folder)
        #expect(
            try Self.peer(other.output).output.hasPrefix(
                ProductPassport.didKey(
                    try SigningKey(
                        fileContents: String(
                            contentsOf: folder.appendingPathComponent("d/samples/keys/shopstream.key"), encoding: .utf8)
                    ).verifier.publicKey)))
        #expect(
            try CLI.run(["passport", "--ledger", "d/ledger.sqlite", shirt + "9", "--as", brandKey], in: folder).status
                == 4)

        // The resolver's passport (gs1:sustainabilityInfo) is the operator's; the brand reissues it through the
        // server, after checking it against the pinned operator key and the evidence against the checkpoint.
        let server = try await ServeTests.start(in: folder, ["--ledger", "d/ledger.sqlite"])
        defer { server.process.terminate() }
        let (status, jws) = try await ServeTests.fetch(
            URL(string: server.base.absoluteString + "/01/00614141123452/21/TS-0001?linkType=gs1:sustainabilityInfo")!)
        #expect(status == 200 && jws.split(separator: ".").count == 3)
        let vkey = try String(
            contentsOf: folder.appendingPathComponent("d/ledger.sqlite.operator-key"), encoding: .utf8)
        let operatorKey = try SigningKey(fileContents: vkey)
        let served = try #require(ProductPassport.credential(ofJWS: jws, publicKey: operatorKey.verifier.publicKey))
        #expect(served["issuer"]?["id"]?.stringValue == ProductPassport.didKey(operatorKey.verifier.publicKey))
        let remote = try CLI.run(
            [
                "passport", "--server", server.base.absoluteString, "--vkey", operatorKey.keyID, shirt, "--as",
                brandKey,
                "--json", "--state", "client.state",
            ], in: folder)
        #expect(remote.status == 0, "\(remote.stderr)")
        let remoteChecked = try Self.peer(remote.output)
        #expect(remoteChecked.status == 0 && remoteChecked.output.hasPrefix(did), "\(remoteChecked.output)")
    }
}
