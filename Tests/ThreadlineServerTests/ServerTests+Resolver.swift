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
            #expect(page.contains("&#10003; Verified: all 1 steps are in the ledger example.com/server-test"))
            #expect(page.contains("<h2>brand</h2>"))
            #expect(page.contains("<strong>commissioning</strong> — Brand"))
            #expect(!page.contains("RECALLED"))
            #expect(!page.contains("<script"))
            let recalled = try await client.execute(uri: "/01/10614141123459/21/2", method: .get) {
                String(buffer: $0.body)
            }
            #expect(recalled.contains("role=\"alert\">&#9888; RECALLED: do not use this product."))
            #expect(recalled.contains("Certified: https://certifier.example/gots/TC-1"))
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
