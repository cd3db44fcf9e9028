import Foundation
import HTTPSignatures
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStoreSQLite
import Statements
import Testing
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

@testable import Threadline

/// Need-to-know reads on the server (Specs/21-read-policy.md §2, Specs/20-request-signatures.md §5): each read
/// route answered to anyone, to participants of each kind, and to an auditor, with signed requests.
struct ReadPolicyServerTests {
    static let operatorKey = ServerTests.operatorKey
    static let keys: [String: SigningKey] = Dictionary(
        uniqueKeysWithValues: ["brand", "factory", "rival", "retailer", "auditor", "gone"].enumerated().map {
            ($1, try! SigningKey(name: $1, seed: [UInt8](repeating: UInt8(20 + $0), count: 32)))
        })
    static let base = "https://ledger.example"
    static let shirt = "https://id.gs1.org/01/10614141123459/21/1"
    static let fabric = "urn:epc:class:lgtin:8801234.012345.LOT1"

    /// The factory weaves a fabric lot; the brand makes two shirts of it and ships the first to the retailer,
    /// who receives it. Records: 0–6 the registry, 7 the fabric, 8 the shirts, 9 the shipment, 10 the receipt.
    static func ledger() async throws -> Ledger {
        let folder = try TemporaryFolder.make("reads")
        let store = try SQLiteLedgerStore.create(
            path: folder.appendingPathComponent("l.db").path, metadata: Ledger.metadata(operatorKey: operatorKey))
        let ledger = try await Ledger(store: store, operatorKey: operatorKey)
        let people: [(String, Participant.Role, [String])] = [
            ("brand", .brand, ["0614141"]), ("factory", .manufacturer, ["8801234"]),
            ("rival", .manufacturer, ["8809999"]), ("retailer", .retailer, ["4012345"]), ("auditor", .auditor, []),
            ("gone", .retailer, ["4099999"]),
        ]
        for (id, role, prefixes) in people {
            let size = try await ledger.size()
            let registration = RegistryStatement.registration(
                .init(id: id, name: id.capitalized, roles: [role], companyPrefixes: prefixes, keys: [keys[id]!.keyID]),
                basis: size)
            _ = try await ledger.append([
                try Envelope(signing: registration.payload, type: RegistryStatement.payloadType, with: operatorKey)
            ])
        }
        let revoke = RegistryStatement.revocation(
            participant: "gone", key: nil, reason: "closed", basis: try await ledger.size())
        _ = try await ledger.append([
            try Envelope(signing: revoke.payload, type: RegistryStatement.payloadType, with: operatorKey)
        ])
        func event(_ who: String, hour: Int, _ body: String) throws -> Envelope {
            let json =
                #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"eventTime":"2026-09-01T0\#(hour):00:00Z","eventTimeZoneOffset":"+00:00",\#(body)}"#
            return try Envelope(signing: Array(json.utf8), type: Statement.eventPayloadType, with: keys[who]!)
        }
        let shirts = #"["urn:epc:id:sgtin:0614141.112345.1","urn:epc:id:sgtin:0614141.112345.2"]"#
        for envelope in [
            try event(
                "factory", hour: 1,
                #""type":"ObjectEvent","action":"ADD","bizStep":"commissioning","quantityList":[{"epcClass":"\#(fabric)","quantity":500,"uom":"MTR"}]"#
            ),
            try event(
                "brand", hour: 2,
                #""type":"TransformationEvent","bizStep":"commissioning","inputQuantityList":[{"epcClass":"\#(fabric)","quantity":3,"uom":"MTR"}],"outputEPCList":\#(shirts)"#
            ),
            try event(
                "brand", hour: 3,
                #""type":"ObjectEvent","action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sgtin:0614141.112345.1"],"bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:4012345000009:PO-77"}],"destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:4012345.00000"}]"#
            ),
            try event(
                "retailer", hour: 4,
                #""type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving","epcList":["urn:epc:id:sgtin:0614141.112345.1"]"#
            ),
        ] {
            _ = try await ledger.append([envelope])
        }
        return ledger
    }

    /// The header fields of `path` signed by `who` (at `created`, default now) with a fresh nonce.
    static func signed(
        _ path: String, by who: String, created: Int64 = Int64(Date().timeIntervalSince1970), nonce: String? = nil
    ) throws -> HTTPFields {
        let key = keys[who]!
        let request = RequestSignature.Request(method: "GET", targetURI: base + path)
        var fields = HTTPFields()
        for (name, value) in try RequestSignature.sign(
            request, key: key.noteSigner.privateKey, keyid: key.keyID, created: created,
            nonce: nonce ?? UUID().uuidString)
        {
            fields[HTTPField.Name(name)!] = value
        }
        return fields
    }

    /// The status, problem type (for a problem) and body of `path` read by `who` (nil: unsigned).
    static func read(
        _ client: some TestClientProtocol, _ path: String, as who: String? = nil
    ) async throws -> (status: Int, problem: String?, body: String) {
        try await client.execute(uri: path, method: .get, headers: try who.map { try signed(path, by: $0) } ?? [:]) {
            response in
            let body = String(buffer: response.body)
            let problem =
                response.headers[.contentType] == "application/problem+json"
                ? (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["type"] as? String
                : nil
            return (
                Int(response.status.code),
                problem?.replacingOccurrences(of: "https://threadline.example/problems/", with: ""), body
            )
        }
    }

    static func app(_ ledger: Ledger, reads: Server.Reads = Server.Reads()) -> some ApplicationProtocol {
        Server.buildApplication(ledger: ledger, reads: reads, publicURL: base)
    }

    static let trace = "/trace?code=" + shirt.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!

    @Test func eachReaderTracesItsPartOfTheJourney() async throws {
        let ledger = try await Self.ledger()
        try await Self.app(ledger).test(.router) { client in
            // Unsigned: a signature is needed, and the answer says which.
            let unsigned = try await client.execute(uri: Self.trace, method: .get) { $0 }
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.headers[HTTPField.Name("Accept-Signature")!]?.contains("\"@target-uri\"") == true)
            #expect(try await Self.read(client, Self.trace).problem == "read.unsigned")
            func steps(_ who: String) async throws -> [Int] {
                let (status, _, body) = try await Self.read(client, Self.trace, as: who)
                guard status == 200 else { return [-status] }
                let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                return (json?["steps"] as? [[String: Any]] ?? []).compactMap { $0["seq"] as? Int }
            }
            // The brand and the auditor see the whole journey; the retailer, everything up to its receipt.
            #expect(try await steps("brand") == [7, 8, 9, 10])
            #expect(try await steps("auditor") == [7, 8, 9, 10])
            #expect(try await steps("retailer") == [7, 8, 9, 10])
            // The factory sees its fabric, not what the brand made of it; a rival sees nothing: 404, as if the
            // product did not exist. A revoked participant's signature no longer opens anything.
            #expect(try await steps("factory") == [7])
            #expect(try await steps("rival") == [-404])
            #expect(try await Self.read(client, Self.trace, as: "gone").problem == "read.forbidden")
        }
    }

    @Test func recordsEventsAndBundlesFollowThePolicy() async throws {
        let ledger = try await Self.ledger()
        try await Self.app(ledger).test(.router) { client in
            // A record: its signer and the parties it names see it; anyone else gets 404 (signed) or 401.
            #expect(try await Self.read(client, "/records/7", as: "factory").status == 200)
            #expect(try await Self.read(client, "/records/7", as: "rival").status == 404)
            #expect(try await Self.read(client, "/records/9", as: "retailer").status == 200)
            #expect(try await Self.read(client, "/records/9", as: "factory").status == 404)
            #expect(try await Self.read(client, "/records/9").status == 401)
            #expect(try await Self.read(client, "/proofs/inclusion/9", as: "retailer").status == 200)
            #expect(try await Self.read(client, "/proofs/inclusion/9", as: "rival").status == 404)
            // Events: each reader gets the ones it may see, and no more.
            func events(_ who: String) async throws -> Int {
                let (status, _, body) = try await Self.read(client, "/events", as: who)
                #expect(status == 200)
                let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                let results = (json?["epcisBody"] as? [String: Any])?["queryResults"] as? [String: Any]
                return ((results?["resultsBody"] as? [String: Any])?["eventList"] as? [Any])?.count ?? -1
            }
            #expect(try await events("auditor") == 4)
            #expect(try await events("brand") == 3)
            #expect(try await events("factory") == 1)
            #expect(try await events("retailer") == 2)
            #expect(try await events("rival") == 0)
            #expect(try await Self.read(client, "/events").status == 401)
            // A bundle holds the records of the steps the reader may see (and the registry).
            let bundle = "/bundle?code=" + Self.shirt.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (status, _, body) = try await Self.read(client, bundle, as: "factory")
            #expect(status == 200)
            let seqs = try ProductBundle(parsing: Array(body.utf8)).entries.map(\.seq)
            #expect(seqs.contains(7) && !seqs.contains(8) && !seqs.contains(9))
            #expect(try await Self.read(client, bundle, as: "rival").status == 404)
            // The registry: for participants.
            #expect(try await Self.read(client, "/registry", as: "rival").status == 200)
            #expect(try await Self.read(client, "/registry").problem == "read.unsigned")
            // Entry tiles hold every record: for the auditor only.
            #expect(try await Self.read(client, "/tile/entries/000.p/11", as: "auditor").status == 200)
            #expect(try await Self.read(client, "/tile/entries/000.p/11", as: "brand").problem == "read.forbidden")
            #expect(try await Self.read(client, "/tile/0/000.p/11").status == 200)
            // Listing checks: a retailer may; a factory may not; anyone must sign.
            let listing =
                "/check-listing?seller=retailer&code=" + Self.shirt.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics)!
            #expect(try await Self.read(client, listing, as: "retailer").status == 200)
            #expect(try await Self.read(client, listing, as: "factory").problem == "read.forbidden")
            #expect(try await Self.read(client, listing).problem == "read.unsigned")
        }
    }

    @Test func aSignedRequestIsTakenOnceAndOnlyWhileFresh() async throws {
        let ledger = try await Self.ledger()
        try await Self.app(ledger).test(.router) { client in
            let headers = try Self.signed(Self.trace, by: "brand", nonce: "once")
            for expected in [200, 401] {
                let status = try await client.execute(uri: Self.trace, method: .get, headers: headers) {
                    Int($0.status.code)
                }
                #expect(status == expected)
            }
            let stale = try Self.signed(Self.trace, by: "brand", created: Int64(Date().timeIntervalSince1970) - 600)
            let problem = try await client.execute(uri: Self.trace, method: .get, headers: stale) { response in
                #expect(response.status == .unauthorized)
                return String(buffer: response.body)
            }
            #expect(problem.contains("signature.expired"))
            // Signed for another path: the signature does not cover this request.
            let elsewhere = try Self.signed("/trace?code=x", by: "brand")
            #expect(
                try await client.execute(uri: Self.trace, method: .get, headers: elsewhere) { $0.status }
                    == .unauthorized)
        }
    }

    @Test func anyoneGetsTheConsumerViewAndPublicReadsOpenEverything() async throws {
        let ledger = try await Self.ledger()
        let page = "/01/10614141123459/21/1"
        try await Self.app(ledger).test(.router) { client in
            // The page shows every step, but neither the other shirt, the fabric's quantities nor the order.
            let html = try await Self.read(client, page).body
            #expect(html.contains("Factory") && html.contains("Retailer"))
            #expect(!html.contains("serial 2") && !html.contains("500") && !html.contains("PO-77"))
            // The resolver's journey as JSON: the consumer view for anyone, the full steps for the brand.
            let json = try await client.execute(
                uri: page, method: .get, headers: [.accept: "application/json"]
            ) { String(buffer: $0.body) }
            #expect(json.contains("\"seq\":10") && !json.contains("112345.2") && !json.contains("/21/2"))
            #expect(!json.contains("500"))
            var signed = try Self.signed(page, by: "brand")
            signed[.accept] = "application/json"
            let full = try await client.execute(uri: page, method: .get, headers: signed) { String(buffer: $0.body) }
            #expect(full.contains("/21/2"))
        }
        try await Self.app(ledger, reads: .open).test(.router) { client in
            let statuses = [
                try await Self.read(client, Self.trace).status, try await Self.read(client, "/records/9").status,
                try await Self.read(client, "/tile/entries/000.p/11").status,
            ]
            #expect(statuses == [200, 200, 200])
        }
    }
}
