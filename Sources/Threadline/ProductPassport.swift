import Crypto
import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import Participants
import Statements
import TransparencyLog

/// A product's Digital Product Passport as the UN Transparency Protocol defines it (`Specs/24-products.md` §8): a
/// W3C Verifiable Credential 2.0 whose subject follows the UNTP DPP schema — the product, its materials and their
/// origin countries, its conformity claims, and its traceability information pointing to the journey's records —
/// with the ledger evidence it is derived from (the checkpoint and each record's inclusion proof), secured as
/// VC-JOSE (a compact JWS, `application/vc+jwt`, EdDSA). What it says of the journey is what the consumer page
/// says (§5): no quantity, no other serial.
public struct ProductPassport: Sendable {
    /// The credential, before it is signed.
    public let credential: JSONValue

    /// What a passport is made of: the product's assessment and story, its product data and its materials', and
    /// every step's record with its inclusion proof against `checkpoint`.
    public struct Sources: Sendable {
        public let assessment: Assessment
        public let product: ProductData?
        public let materials: [String: ProductData]
        public let checkpoint: SignedNote
        public let proofs: [TlogProof]
        public let entries: [[UInt8]]
    }

    /// The UNTP DPP context this passport follows (the schema in `../shared/vectors/untp/`).
    public static let contexts = [
        "https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dpp/working/",
    ]

    /// A passport already made (`credential`), to sign.
    public init(credential: JSONValue) { self.credential = credential }

    /// `credential` issued by another: the same with `issuer` (a DID and a name) and a new `id`.
    public func reissued(by issuer: (id: String, name: String), id: String) -> ProductPassport {
        guard case .object(let members) = credential else { return self }
        return ProductPassport(
            credential: .object(
                members.map { member in
                    switch member.key {
                    case "issuer":
                        .init(
                            "issuer",
                            .object([
                                .init("type", .array([.string("CredentialIssuer")])), .init("id", .string(issuer.id)),
                                .init("name", .string(issuer.name)),
                            ]))
                    case "id": .init("id", .string(id))
                    default: member
                    }
                }))
    }

    /// The passport of `sources`, issued by `issuer` (a DID and a name) at `millis`.
    public init(_ sources: Sources, issuer: (id: String, name: String), millis: Int64, id: String) {
        let journey = sources.assessment.journey
        let story = ProductStory(sources.assessment)
        let english = ["en"]
        let gtin = DigitalLink.gtin(inCanonical: journey.identifier) ?? ""
        func text(_ value: String) -> JSONValue { .string(value) }
        func object(_ members: [(String, JSONValue?)]) -> JSONValue {
            .object(members.compactMap { key, value in value.map { .init(key, $0) } })
        }
        func types(_ names: String...) -> JSONValue { .array(names.map(text)) }
        func party(_ participant: Participant?) -> JSONValue? {
            participant.map {
                object([("id", text("urn:threadline:participant:" + $0.id)), ("name", text($0.profile.name))])
            }
        }
        /// A per cent (two decimals at most) as the fraction JSON writes: `95.5` → `0.955`.
        func fraction(_ percent: Double) -> JSONValue {
            let units = Int((min(max(percent, 0), 100) * 100).rounded())
            let (whole, rest) = units.quotientAndRemainder(dividingBy: 10_000)
            guard rest > 0 else { return .number(String(whole)) }
            var digits = String(rest)
            digits = String(repeating: "0", count: 4 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            return .number("\(whole).\(digits)")
        }

        var (lot, serial): (String?, String?) = (nil, nil)
        if case .product(_, _, let l, let s)? = try? GS1Identifier(parsing: journey.identifier) {
            (lot, serial) = (l, s)
        }
        let name = sources.product?.name.text(for: english) ?? "GTIN \(gtin)"
        let product = object([
            ("type", types("Product")), ("id", text(journey.identifier)), ("name", text(name)),
            ("registeredId", text(gtin)),
            (
                "idScheme",
                object([
                    ("type", types("IdentifierScheme")), ("id", text("https://id.gs1.org/01/")),
                    ("name", text("Global Trade Item Number (GTIN)")),
                ])
            ),
            ("serialNumber", serial.map(text)), ("batchNumber", lot.map(text)),
            (
                "productImage",
                sources.product?.image.map {
                    object([
                        ("linkURL", text($0)), ("linkName", text(name)),
                        ("linkType", text("https://test.uncefact.org/vocabulary/linkTypes/productImage")),
                    ])
                }
            ),
            ("description", sources.product?.description.map { text($0.text(for: english)) }),
            ("producedByParty", party(story.madeBy?.participant)),
            ("countryOfProduction", story.madeBy?.place?.country.map(text)),
        ])

        // The fibres the brand declares, each with the country its raw materials come from when the journey's
        // origin steps name one country.
        let originCountries = Set(story.materials.filter { $0.stage == .origin }.compactMap { $0.place?.country })
        var materials: [JSONValue] = (sources.product?.composition ?? []).map { fibre in
            object([
                ("type", types("Material")), ("name", text(fibre.fibre)),
                ("originCountry", originCountries.count == 1 ? originCountries.first.map(text) : nil),
                ("massFraction", fraction(fibre.percent)),
            ])
        }
        // The materials the journey shows being made, with where.
        for making in story.materials {
            let names = making.made.map { identifier -> String in
                let gtin = DigitalLink.gtin(inCanonical: identifier) ?? ""
                return sources.materials[gtin]?.name.text(for: english) ?? identifier
            }
            materials.append(
                object([
                    ("type", types("Material")), ("name", text(names.joined(separator: ", "))),
                    ("originCountry", making.place?.country.map(text)),
                ]))
        }

        let claims: [JSONValue] = story.certifications.map { certification in
            let who =
                certification.certifier.map { "certified by \($0.profile.name), who recorded it in the ledger" }
                ?? "named by " + certification.claimedBy.map(\.profile.name).joined(separator: ", ")
                + "; no certifier recorded it"
            return object([
                ("type", types("Claim", "Declaration")), ("id", text(certification.certificate)),
                ("description", text("\(certification.certificate): \(who)")),
                ("conformityTopic", text("governance.compliance")),
            ])
        }

        // Each stage's steps, as links to their records with the records' SHA-256.
        var stages: [(Journey.Stage, [JSONValue])] = []
        for (step, entry) in zip(journey.steps, sources.entries) {
            let verb = step.event.bizStepTerm ?? step.event.kind.rawValue
            let link = object([
                ("linkURL", text("urn:threadline:record:\(step.seq)")),
                ("linkName", text("record \(step.seq): \(verb) by \(step.participant?.profile.name ?? "?")")),
                ("linkType", text("https://test.uncefact.org/vocabulary/linkTypes/dte")),
                ("hashDigest", text(Hash.sha256(entry).hex)), ("hashMethod", text("SHA-256")),
            ])
            if stages.last?.0 == step.stage {
                stages[stages.count - 1].1.append(link)
            } else {
                stages.append((step.stage, [link]))
            }
        }
        let traceability = stages.map { stage, links in
            object([
                ("type", types("TraceabilityPerformance")), ("valueChainProcess", text(stage.rawValue)),
                ("verifiedRatio", .number("1")), ("traceabilityEvent", .array(links)),
            ])
        }

        let evidence = object([
            ("type", types("ThreadlineLedgerEvidence")), ("checkpoint", text(sources.checkpoint.encoded)),
            (
                "records",
                .array(
                    zip(sources.proofs, sources.entries).map { proof, entry in
                        // The record's bytes when they are anyone's (sealed events, 21 §2); its leaf hash always.
                        let envelope = try? LedgerRecord(bytes: entry).envelope
                        let record = envelope.map(ReadPolicy.isPublic) == true ? entry : nil
                        return object([
                            ("seq", .number(String(proof.index))), ("leafHash", text(Merkle.leafHash(entry).base64)),
                            ("proof", .array(proof.path.map { text($0.base64) })),
                            ("record", record.map { text(Data($0).base64EncodedString()) }),
                        ])
                    })
            ),
        ])

        let granularity = serial != nil ? "item" : lot != nil ? "batch" : "model"
        credential = object([
            ("@context", .array(Self.contexts.map(text))),
            ("type", types("DigitalProductPassport", "VerifiableCredential")),
            ("id", text(id)),
            (
                "issuer",
                object([("type", types("CredentialIssuer")), ("id", text(issuer.id)), ("name", text(issuer.name))])
            ),
            ("validFrom", text(Self.dateTime(millis))),
            (
                "credentialSubject",
                object([
                    ("type", types("ProductPassport")), ("id", text(journey.identifier)), ("product", product),
                    ("granularityLevel", text(granularity)), ("materialsProvenance", .array(materials)),
                    ("conformityClaim", .array(claims)), ("traceabilityInformation", .array(traceability)),
                    (
                        "circularityScorecard",
                        sources.product?.recycledContent.map {
                            object([("type", types("CircularityPerformance")), ("recycledContent", fraction($0))])
                        }
                    ),
                ])
            ),
            ("evidence", .array([evidence])),
        ])
    }

    /// The credential secured as VC-JOSE: a compact JWS over its JSON, `{"alg":"EdDSA","kid":…,"typ":"vc+jwt",
    /// "cty":"vc"}`, signed by `key` (Ed25519); its `kid` is the key's `did:key` with its fragment.
    public func jws(signedBy key: SigningKey) throws -> String {
        let did = Self.didKey(key.verifier.publicKey)
        let header = JSONValue.object([
            .init("alg", .string("EdDSA")), .init("kid", .string(did + "#" + did.dropFirst("did:key:".count))),
            .init("typ", .string("vc+jwt")), .init("cty", .string("vc")),
        ])
        let input =
            Base64URL.encode(Array(header.serialized.utf8)) + "." + Base64URL.encode(Array(credential.serialized.utf8))
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    /// The credential a compact JWS signed by `publicKey` (Ed25519) holds, or nil when it is not one or does not
    /// verify.
    public static func credential(ofJWS jws: String, publicKey: [UInt8]) -> JSONValue? {
        let parts = jws.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Base64URL.decode(String(parts[2])),
            let payload = Base64URL.decode(String(parts[1])),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
            key.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8))
        else { return nil }
        return try? JSONValue(parsing: payload)
    }

    /// The `did:key` of an Ed25519 public key: `did:key:z` ‖ base58btc(0xED 0x01 ‖ key).
    public static func didKey(_ publicKey: [UInt8]) -> String { "did:key:z" + base58([0xED, 0x01] + publicKey) }

    /// The public key as a JWK (RFC 8037): `{"kty":"OKP","crv":"Ed25519","x":…}`.
    public static func jwk(_ publicKey: [UInt8]) -> JSONValue {
        .object([
            .init("kty", .string("OKP")), .init("crv", .string("Ed25519")),
            .init("x", .string(Base64URL.encode(publicKey))),
        ])
    }

    /// Base58 with Bitcoin's alphabet.
    static func base58(_ bytes: [UInt8]) -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
        var digits: [UInt8] = []
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let zeros = bytes.prefix { $0 == 0 }.count
        return String(
            decoding: Array(repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] },
            as: UTF8.self)
    }

    /// `YYYY-MM-DDThh:mm:ssZ`.
    static func dateTime(_ millis: Int64) -> String {
        String(Timestamp.format(millis: millis - millis % 1000).prefix(19)) + "Z"
    }
}
