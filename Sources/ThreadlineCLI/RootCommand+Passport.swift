import ArgumentParser
import EPCIS
import Foundation
import Statements
import Threadline

extension RootCommand {
    struct Passport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Issue a product's Digital Product Passport (UNTP DPP, a VC-JOSE credential) with the brand's key.",
            discussion: """
                A W3C Verifiable Credential 2.0 whose subject follows the UN Transparency Protocol's DPP schema — \
                the product, its materials and their origin countries, its conformity claims, its traceability \
                information pointing to the journey's records — carrying the ledger evidence (the checkpoint and \
                each record's inclusion proof), signed as a compact JWS (application/vc+jwt, EdDSA) by --as, whose \
                did:key is the issuer. Prints the JWS; --json prints {"jwt", "credential", "jwk"}. Through a \
                server, the server assembles the passport of the consumer's view and the signing is done here. \
                Specs/24-products.md §8.
                """)

        @OptionGroup var target: TargetOptions

        @Argument(help: ArgumentHelp("The product's code (a Digital Link or EPC URN).", valueName: "code"))
        var code: String

        @Option(
            name: .customLong("as"),
            help: ArgumentHelp("The issuer's private key file (the brand's).", valueName: "keyfile"))
        var signer: String

        @Option(
            help: ArgumentHelp(
                "The issuer's name (default: its participant name, else the key's name).", valueName: "name"))
        var issuerName: String?

        @Option(help: ArgumentHelp("Write the JWS to this file instead of standard output.", valueName: "file"))
        var out: String?

        @Flag(help: "Print the JWS, the credential and the issuer's public key (JWK) as JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let key = try SigningKey(fileContents: try Files.readText(signer, what: "key file"))
                let credential: JSONValue
                switch try target.target(reader: key) {
                case .local(let options):
                    let ledger = try await options.open()
                    let sources = try await ledger.passportSources(code)
                    let registry = sources.assessment.registry
                    let name =
                        issuerName
                        ?? registry.participants.values.first { $0.keys.contains { $0.vkey == key.keyID } }?.profile
                        .name
                        ?? key.name
                    credential =
                        ProductPassport(
                            sources, issuer: (ProductPassport.didKey(key.verifier.publicKey), name),
                            millis: Int64(Date().timeIntervalSince1970 * 1000),
                            id: "urn:uuid:" + UUID().uuidString.lowercased()
                        ).credential
                case .remote(let remote):
                    credential = try await remote.passport(code, issuer: key, name: issuerName)
                }
                let jwt = try ProductPassport(credential: credential).jws(signedBy: key)
                if json {
                    Output.jsonLine(
                        JSONValue.object([
                            .init("jwt", .string(jwt)), .init("credential", credential),
                            .init("jwk", ProductPassport.jwk(key.verifier.publicKey)),
                        ]).serialized)
                } else if let out {
                    try Data((jwt + "\n").utf8).write(to: URL(fileURLWithPath: out))
                } else {
                    Output.line(jwt)
                }
            }
        }
    }
}
