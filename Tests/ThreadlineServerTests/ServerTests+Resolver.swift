import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import Threadline
import ThreadlineServer
import ThreadlineTestSupport
import TransparencyLog

extension ServerTests {
    @Test func theResolverShowsTheJourneyPageOrJSONAndWarnsOfARecall() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append(
            try ((1...2).map { Self.event($0) }).map { try Envelope(json: Array(buffer: $0)) })
        let recall =
            #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"ObjectEvent","eventTime":"2026-09-02T08:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"holding","disposition":"recalled","epcList":["urn:epc:id:sgtin:0614141.112345.2"],"certificationInfo":["https://certifier.example/gots/TC-1"]}"#
        _ = try await ledger.append([
            try Envelope(signing: Array(recall.utf8), type: Statement.eventPayloadType, with: Self.brand)
        ])
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/01/10614141123459/21/1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                return String(buffer: response.body)
            }
            // A product its brand made and recorded, with no seller yet; every step proved (the quiet line).
            #expect(page.contains("role=\"status\">\n<p class=\"title\">✓ Genuine — not yet with a seller</p>"))
            #expect(page.contains("Proved in the ledger: all 1 steps are in example.com/server-test"))
            #expect(page.contains("<summary>Brand · 1 steps</summary>"))
            #expect(page.contains("<strong>made</strong> — Brand"))
            #expect(!page.contains("Recalled"))
            #expect(!page.contains("<script"))
            let recalled = try await client.execute(uri: "/01/10614141123459/21/2", method: .get) {
                String(buffer: $0.body)
            }
            #expect(recalled.contains("role=\"alert\">\n<p class=\"title\">⚠ Recalled — do not use</p>"))
            #expect(recalled.contains("Brand recalled this product on September 2, 2026."))
            #expect(recalled.contains("Certified: https://certifier.example/gots/TC-1"))
            #expect(recalled.contains("https://certifier.example/gots/TC-1 — named by Brand; no certifier recorded it"))
            // The same link with Accept: application/json, or a linkType, answers the journey as JSON.
            let json = try await client.execute(
                uri: "/01/10614141123459/21/2", method: .get, headers: [.accept: "application/json"]
            ) { response in try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] }
            #expect(json?["recalled"] as? Bool == true)
            #expect((json?["steps"] as? [Any])?.count == 2)
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:traceability", method: .get) {
                response in
                #expect(response.headers[.contentType] == "application/json")
            }
            // The resolver conventions: a linkset of every link, the EPCIS events, the default for unknown types.
            for (uri, headers) in [
                ("/01/10614141123459/21/2?linkType=linkset", HTTPFields()),
                ("/01/10614141123459/21/2", [.accept: "application/linkset+json"] as HTTPFields),
            ] {
                let linkset = try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(response.headers[.contentType] == "application/linkset+json")
                    return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                }
                let links = (linkset?["linkset"] as? [[String: Any]])?.first
                #expect((links?["anchor"] as? String)?.hasSuffix("/01/10614141123459/21/2") == true)
                let pip = (links?["https://ref.gs1.org/voc/pip"] as? [[String: Any]])?.first
                #expect(pip?["type"] as? String == "text/html")
                let trace = (links?["https://ref.gs1.org/voc/traceability"] as? [[String: Any]])?.first
                #expect((trace?["href"] as? String)?.contains("/trace?code=") == true)
                #expect(links?["https://ref.gs1.org/voc/epcis"] != nil)
            }
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:epcis", method: .get) { response in
                #expect(response.status == .temporaryRedirect)
                #expect(
                    response.headers[.location]?.hasPrefix(
                        "/events?MATCH_epc=https%3A%2F%2Fid.gs1.org%2F01%2F10614141123459%2F21%2F2") == true)
            }
            try await client.execute(uri: "/01/10614141123459/21/2?linkType=gs1:recipeInfo", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            }
            let description = try await client.execute(uri: "/.well-known/gs1resolver", method: .get) { response in
                try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            }
            #expect(description?["supportedPrimaryKeys"] as? [String] == ["01"])
            try await client.execute(uri: "/01/10614141123459/21/404", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/01/10614141123458/21/1", method: .get) { #expect($0.status == .badRequest) }
        }
    }
}

extension ServerTests {
    /// The page names the channels the brand lets sell the product now: one authorised for a window open now, not
    /// one whose window has passed, nor one that was never authorised.
    @Test func theConsumerPageNamesTheChannelsTheBrandLetsSellItNow() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append([try Envelope(json: Array(buffer: Self.event(1)))])
        func append(_ statement: (Int64) -> RegistryStatement, by key: SigningKey) async throws {
            let signed = try Envelope(
                signing: statement(try await ledger.size()).payload, type: RegistryStatement.payloadType, with: key)
            _ = try await ledger.append([signed])
        }
        let channels = [("live", "Live Room"), ("season", "Last Season Shop"), ("never", "Never Shop")]
        for (index, (id, name)) in channels.enumerated() {
            let key = try SigningKey(name: id, seed: [UInt8](repeating: UInt8(40 + index), count: 32))
            try await append(
                { .registration(.init(id: id, name: name, roles: [.marketplace], keys: [key.keyID]), basis: $0) },
                by: Self.operatorKey)
        }
        for (channel, from, until) in [
            ("live", "2026-01-01T00:00:00Z", "2099-01-01T00:00:00+08:00"),
            ("season", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
        ] {
            let window = try AuthorizationWindow(validFrom: from, validUntil: until)
            try await append(
                {
                    .channelAuthorization(
                        brand: "brand", channel: channel, companyPrefixes: [], withdrawn: false, window: window,
                        basis: $0)
                }, by: Self.brand)
        }
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/01/10614141123459/21/1", method: .get) {
                String(buffer: $0.body)
            }
            #expect(page.contains("<h2>Where to buy it</h2>"))
            #expect(page.contains("<ul class=\"channels\"><li>Live Room</li></ul>"))
            #expect(!page.contains("Last Season Shop") && !page.contains("Never Shop"))
            let chinese = try await client.execute(uri: "/01/10614141123459/21/1?lang=zh-CN", method: .get) {
                String(buffer: $0.body)
            }
            #expect(chinese.contains("<h2>授权销售渠道</h2>") && chinese.contains("<li>Live Room</li>"))
        }
    }

    /// What the GS1-Conformant Resolver standard asks and browsers need (Specs/17-server.md §Resolver): CORS, HEAD
    /// and OPTIONS, the linkset in a `Link` header, the query string passed on a redirect, and a clear refusal of a
    /// compressed Digital Link.
    @Test func theResolverAnswersBrowsersAndOtherResolversAsTheStandardAsks() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append(try [Self.event(1)].map { try Envelope(json: Array(buffer: $0)) })
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            let uri = "/01/10614141123459/21/1"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(
                    response.headers[HTTPField.Name("Link")!]?.hasSuffix(
                        "/01/10614141123459/21/1?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\"")
                        == true)
                #expect(response.headers[.contentLanguage] == "en")
            }
            // HEAD: the GET's headers, no body.
            try await client.execute(uri: uri, method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.body.readableBytes == 0)
            }
            // A browser's preflight.
            try await client.execute(
                uri: uri, method: .options,
                headers: [.origin: "https://shop.example", .accessControlRequestMethod: "GET"]
            ) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowMethods] == "GET, HEAD, OPTIONS")
            }
            // A problem carries CORS too, so a browser can read why.
            try await client.execute(uri: "/01/10614141123459/21/404?linkType=linkset", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
            }
            // The query string goes along with a redirect.
            try await client.execute(uri: uri + "?linkType=gs1:epcis&EQ_bizStep=shipping&perPage=5", method: .get) {
                response in
                #expect(response.status == .temporaryRedirect)
                let location = response.headers[.location] ?? ""
                #expect(location.hasSuffix("&EQ_bizStep=shipping&perPage=5") && !location.contains("linkType"))
            }
            // A compressed Digital Link is refused with a clear problem; a word is just not there.
            try await client.execute(uri: "/ARHKVAdpQAYIZ0ED", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("resolver.compressed"))
                #expect(response.headers[.accessControlAllowOrigin] == "*")
            }
            try await client.execute(uri: "/nonexistent", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // The server's own routes still answer, and HEAD for them too.
            try await client.execute(uri: "/checkpoint", method: .head) { response in #expect(response.status == .ok) }
        }
    }
}

extension ServerTests {
    /// The first-scan check on the page (Specs/24-products.md §7): a form posted to the product's link, the first
    /// correct code recorded, a second exposing a copy, and guessing limited per serial and per client.
    @Test func theHiddenCodeFormRecordsTheFirstEntryAndLimitsGuessing() async throws {
        let ledger = try await Self.ledger()
        _ = try await ledger.append(try [Self.event(1), Self.event(2)].map { try Envelope(json: Array(buffer: $0)) })
        for serial in [1, 2] {
            let commitment = try CodeCommitment(
                code: "8W15QNEQP\(serial)", product: "https://id.gs1.org/01/10614141123459/21/\(serial)")
            _ = try await ledger.append([
                try Envelope(signing: commitment.payload, type: CodeCommitment.payloadType, with: Self.brand)
            ])
        }
        let app = Server.buildApplication(ledger: ledger, reads: .open)
        try await app.test(.router) { client in
            func post(_ serial: Int, _ code: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(
                    uri: "/01/10614141123459/21/\(serial)", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(
                        string: "code=" + (code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code))
                ) { ($0.status, String(buffer: $0.body)) }
            }
            let page = try await client.execute(uri: "/01/10614141123459/21/1", method: .get) {
                String(buffer: $0.body)
            }
            #expect(page.contains(#"<form method="post" action="/01/10614141123459/21/1?lang=en">"#))
            #expect(page.contains(#"name="code""#))
            // Not a code: said so, nothing checked.
            #expect(try await post(1, "hello!").1.contains("A code is 8 to 32 letters and digits"))
            // Wrong, then right (as a shopper types it), then right again: a copy.
            #expect(try await post(1, "8W15Q-NEQP9").1.contains("This code does not match this product."))
            let first = try await post(1, "8w15q neqp1")
            #expect(first.0 == .ok && first.1.contains("Verified: you are the first to enter this code."))
            #expect(first.1.contains("✓ Genuine"))
            let again = try await post(1, "8W15QNEQP1")
            #expect(again.1.contains("⚠ Suspect") && again.1.contains("has now been entered 2 times"))
            // Five wrong codes for serial 2 lock it for the hour, even for the right code; serial 1 is not locked.
            for _ in 0..<5 { #expect(try await post(2, "AAAAAAAAAA").1.contains("does not match")) }
            let locked = try await post(2, "8W15QNEQP2")
            #expect(locked.0 == .tooManyRequests && locked.1.contains("Too many tries"))
            #expect(try await ledger.verifications(of: "https://id.gs1.org/01/10614141123459/21/2").isEmpty)
            // A body past 4 KiB, or not a form at all, costs nothing: refused, or no code in it.
            try await client.execute(
                uri: "/01/10614141123459/21/1", method: .post,
                body: ByteBuffer(string: "code=" + String(repeating: "A", count: 5000))
            ) { #expect($0.status == .contentTooLarge) }
            try await client.execute(
                uri: "/01/10614141123459/21/1", method: .post, body: ByteBuffer(bytes: [0xFF, 0xFE, 0x3D, 0x26, 0x25])
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("A code is 8 to 32 letters and digits"))
            }
            // One client: at most 20 codes an hour, whatever the serials (it has tried 8; 12 more are let through).
            for serial in 3..<15 { #expect(try await post(serial, "BBBBBBBBBB").0 != .tooManyRequests) }
            #expect(try await post(15, "CCCCCCCCCC").0 == .tooManyRequests)
        }
    }
}
