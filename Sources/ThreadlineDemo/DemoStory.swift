import EPCIS
import Foundation
import Statements
import Threadline
import ThreadlineSamples
import TransparencyLog

/// The demo's two supply chains, from `samples/` (embedded as `SampleFiles`): the participants, the brands'
/// authorisations, and the EPCIS 2.0 documents each party records. Keys come from public seeds: test-only.
enum DemoStory {
    struct Document {
        let file: String
        let signers: [String]
        let json: JSONValue
    }

    static let origin = "demo.threadline.example/supply"
    static let tshirt = "https://id.gs1.org/01/00614141123452/21/TS-0001"
    static let recalledTshirt = "https://id.gs1.org/01/00614141123452/21/TS-0101"
    static let unsoldTshirt = "https://id.gs1.org/01/00614141123452/21/TS-0002"
    static let clonedSneaker = "https://id.gs1.org/01/07612345543215/21/SN-0003"
    static let sneaker = "https://id.gs1.org/01/07612345543215/21/SN-0001"

    /// The serials the brands commit hidden codes for (`Specs/24-products.md` §7), with the brand that signs.
    static let serials: [(products: [String], brand: String)] = [
        (
            ((1...12).map { String(format: "TS-%04d", $0) } + (101...106).map { String(format: "TS-%04d", $0) }).map {
                "https://id.gs1.org/01/00614141123452/21/" + $0
            }, "northwind-apparel"
        ),
        ((1...6).map { "https://id.gs1.org/01/07612345543215/21/" + String(format: "SN-%04d", $0) }, "stride-footwear"),
    ]

    /// A serial's test-only hidden code: the first 50 bits of SHA-256("threadline demo code " + its Digital Link),
    /// in Crockford's base32, grouped as printed (`XXXXX-XXXXX`).
    static func hiddenCode(_ product: String) -> String {
        let bytes = Hash.sha256(Array("threadline demo code \(product)".utf8)).bytes
        let bits = bytes.prefix(7).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } >> 6
        let characters = (0..<10).map { i in HiddenCode.alphabet[Int((bits >> UInt64(45 - 5 * i)) & 31)] }
        let text = String(decoding: characters, as: UTF8.self)
        return text.prefix(5) + "-" + text.dropFirst(5)
    }

    /// A participant's test-only key: its seed is SHA-256("threadline demo key " + id).
    static func key(_ id: String) throws -> SigningKey {
        try SigningKey(name: id, seed: Hash.sha256(Array("threadline demo key \(id)".utf8)).bytes)
    }

    static var manifest: JSONValue {
        get throws { try sample("manifest.json") }
    }

    /// An embedded sample file, parsed.
    private static func sample(_ path: String) throws -> JSONValue {
        guard let bytes = SampleFiles.byPath[path] else {
            throw DemoError(.sample, "the demo has no sample '\(path)'")
        }
        return try JSONValue(parsing: bytes)
    }

    static func participants() throws -> [Participant.Profile] {
        try (manifest["participants"]?.elements ?? []).map { p in
            let strings = { (key: String) in (p[key]?.elements ?? []).compactMap(\.stringValue) }
            let id = p["id"]?.stringValue ?? ""
            let places = try (p["locations"]?.elements ?? []).map { location in
                Participant.Place(
                    gln: location["gln"]?.stringValue ?? "", country: location["country"]?.stringValue,
                    name: try location["name"].map {
                        try LocalizedText(json: $0, maxCharacters: Participant.Place.maxName)
                    })
            }
            return Participant.Profile(
                id: id, name: p["name"]?.stringValue ?? "", roles: strings("roles").compactMap(Participant.Role.init),
                companyPrefixes: strings("companyPrefixes"), places: places, keys: [try key(id).keyID])
        }
    }

    /// Each brand's product data (`Specs/24-products.md`): the file's members, and the brand that signs them.
    static func products() throws -> [(fields: JSONValue, signer: String)] {
        try (manifest["products"]?.elements ?? []).map { p in
            (try sample(p["file"]?.stringValue ?? ""), p["signer"]?.stringValue ?? "")
        }
    }

    static func authorizations() throws -> [(brand: String, channel: String)] {
        try (manifest["authorizations"]?.elements ?? []).map {
            ($0["brand"]?.stringValue ?? "", $0["channel"]?.stringValue ?? "")
        }
    }

    static func documents() throws -> [Document] {
        try (manifest["documents"]?.elements ?? []).map { d in
            let file = d["file"]?.stringValue ?? ""
            return Document(
                file: file, signers: (d["signers"]?.elements ?? []).compactMap(\.stringValue),
                json: try sample(file))
        }
    }

    /// Writes samples/ (documents, manifest and keys) under `folder`, to replay by hand.
    static func write(to folder: URL) throws {
        for (path, bytes) in SampleFiles.byPath {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let keys = folder.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        for p in try participants() {
            try StateFile.writeSecret(try key(p.id).fileContents, to: keys.appendingPathComponent("\(p.id).key").path)
        }
    }
}
