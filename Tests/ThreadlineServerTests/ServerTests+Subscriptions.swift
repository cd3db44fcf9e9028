import Foundation
import HTTPSignatures
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import Statements
import Testing
import ThreadlineServer

@testable import Threadline

/// Subscriptions over HTTP (Specs/26-subscriptions.md §7): signed by the participant whose they are, over the body
/// too; each participant sees and manages its own; webhooks into the server's own network refused by default.
struct SubscriptionServerTests {
    typealias P = ReadPolicyServerTests

    /// `method path` with `body`, signed by `who` (nil: unsigned).
    static func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, body: String? = nil,
        as who: String?, signedBody: String? = nil
    ) async throws -> (status: Int, problem: String?, json: [String: Any]) {
        var fields = HTTPFields()
        if let who {
            let key = P.keys[who]!
            let signed = RequestSignature.Request(
                method: method.rawValue, targetURI: P.base + path, body: (signedBody ?? body).map { Array($0.utf8) })
            for (name, value) in try RequestSignature.sign(
                signed, key: key.noteSigner.privateKey, keyid: key.keyID, created: Int64(Date().timeIntervalSince1970),
                nonce: UUID().uuidString)
            {
                fields[HTTPField.Name(name)!] = value
            }
        }
        return try await client.execute(
            uri: path, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            let problem = (json["type"] as? String)?.replacingOccurrences(
                of: "https://threadline.example/problems/", with: "")
            return (Int(response.status.code), problem, json)
        }
    }

    static let alerts = #"{"url":"https://platform.example/hook","gtins":["10614141123459"]}"#

    @Test func aParticipantSubscribesListsReplaysAndEndsItsOwn() async throws {
        let ledger = try await P.ledger()
        try await P.app(ledger).test(.router) { client in
            // Unsigned, or signed over another body: refused before anything is read.
            #expect(try await Self.send(client, .post, "/subscriptions", body: Self.alerts, as: nil).status == 401)
            let tampered = try await Self.send(
                client, .post, "/subscriptions", body: Self.alerts, as: "retailer", signedBody: "{}")
            #expect(tampered.status == 401 && tampered.problem == "signature.digest")
            #expect(try await Self.send(client, .post, "/subscriptions", body: Self.alerts, as: "gone").status == 403)
            let made = try await Self.send(client, .post, "/subscriptions", body: Self.alerts, as: "retailer")
            #expect(made.status == 201 && made.json["subscriber"] as? String == "retailer")
            #expect(made.json["fromSeq"] as? Int == 11)
            let id = try #require(made.json["id"] as? String)
            // Each sees its own.
            let mine = try await Self.send(client, .get, "/subscriptions", as: "retailer")
            #expect((mine.json["subscriptions"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            let theirs = try await Self.send(client, .get, "/subscriptions", as: "brand")
            #expect((theirs.json["subscriptions"] as? [Any])?.isEmpty == true)
            // Another may neither replay nor end it; its own may.
            #expect(try await Self.send(client, .post, "/subscriptions/\(id)/replay?from=0", as: "brand").status == 404)
            #expect(try await Self.send(client, .delete, "/subscriptions/\(id)", as: "brand").status == 404)
            let replay = try await Self.send(client, .post, "/subscriptions/\(id)/replay?from=0", as: "retailer")
            #expect(replay.status == 202 && replay.json["messages"] as? Int == 0 && replay.json["to"] as? Int == 11)
            #expect(
                try await Self.send(client, .post, "/subscriptions/\(id)/replay?from=-1", as: "retailer").status == 400)
            #expect(try await Self.send(client, .delete, "/subscriptions/\(id)", as: "retailer").status == 204)
            #expect(try await Self.send(client, .delete, "/subscriptions/\(id)", as: "retailer").status == 404)
        }
        #expect(try await ledger.subscriptions(of: nil).isEmpty)
    }

    @Test(arguments: [
        #"{"url":"http://127.0.0.1:8080/hook","gtins":["10614141123459"]}"#,
        #"{"url":"http://localhost/hook","gtins":["10614141123459"]}"#,
        #"{"url":"http://[::1]/hook","gtins":["10614141123459"]}"#,
        #"{"url":"http://169.254.169.254/latest","gtins":["10614141123459"]}"#,
        #"{"url":"http://10.1.2.3/hook","gtins":["10614141123459"]}"#,
        #"{"url":"http://2130706433/hook","gtins":["10614141123459"]}"#,
        #"{"url":"https://platform.example/hook","gtins":["123"]}"#,
        #"{"url":"https://platform.example/hook","query":{"perPage":"3"}}"#,
        #"{"url":"https://platform.example/hook","sellers":["nobody"]}"#, "[]",
    ])
    func aSubscriptionThatIsNotOneOrPostsIntoThePrivateNetworkIsRefused(body: String) async throws {
        let ledger = try await P.ledger()
        try await P.app(ledger).test(.router) { client in
            let answer = try await Self.send(client, .post, "/subscriptions", body: body, as: "retailer")
            #expect(answer.status == 400 && answer.problem?.hasPrefix("subscription.") == true, "\(answer)")
        }
        #expect(try await ledger.subscriptions(of: nil).isEmpty)
        // With --private-webhooks, a webhook on this machine is taken.
        if body.contains("127.0.0.1") {
            let open = Server.buildApplication(ledger: ledger, publicURL: P.base, privateWebhooks: true)
            try await open.test(.router) { client in
                let taken = try await Self.send(client, .post, "/subscriptions", body: body, as: "retailer")
                #expect(taken.status == 201)
            }
        }
    }

    @Test func privateAddressesAreKnownInEveryForm() {
        for url in [
            "http://127.0.0.1/", "http://localhost:8080/", "http://a.localhost/", "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/", "http://169.254.169.254/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::1]/",
            "http://[fe80::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
            "http://0x7f.1/", "http://017.0.0.1/",
        ] {
            #expect(Subscription.isPrivate(url: url), "\(url)")
        }
        for url in ["https://platform.example/", "http://8.8.8.8/", "http://[2001:db8::1]/", "http://172.32.0.1/"] {
            #expect(!Subscription.isPrivate(url: url), "\(url)")
        }
    }
}
