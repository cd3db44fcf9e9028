import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerStore
import Statements
import Testing
import ThreadlineServer

@testable import Threadline

/// Named queries and their subscriptions as the EPCIS 2.0 REST binding shapes them (Specs/26-subscriptions.md §8):
/// signed by the participant whose they are; run, subscribed to, and deleted with their subscriptions.
struct QueryServerTests {
    typealias P = ReadPolicyServerTests
    typealias S = SubscriptionServerTests

    static let shipments =
        #"{"name":"shipments","query":{"EQ_bizStep":["shipping","receiving"],"eventType":["ObjectEvent"]}}"#

    /// The records of an EPCISQueryDocument's events, and its `queryName`.
    static func records(_ body: String) throws -> (records: [Int], queryName: String?) {
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let results = (json?["epcisBody"] as? [String: Any])?["queryResults"] as? [String: Any]
        return (try #require(results?["threadline:records"] as? [Int]), results?["queryName"] as? String)
    }

    @Test func aParticipantKeepsRunsSubscribesToAndDeletesItsNamedQuery() async throws {
        let ledger = try await P.ledger()
        try await P.app(ledger).test(.router) { client in
            #expect(try await S.send(client, .post, "/queries", body: Self.shipments, as: nil).status == 401)
            let made = try await S.send(client, .post, "/queries", body: Self.shipments, as: "retailer")
            #expect(made.status == 201 && made.json["name"] as? String == "shipments")
            let query = made.json["query"] as? [String: String]
            #expect(query == ["EQ_bizStep": "shipping,receiving", "eventType": "ObjectEvent"])
            let again = try await S.send(client, .post, "/queries", body: Self.shipments, as: "retailer")
            #expect(again.status == 409 && again.problem == "query.exists")
            // Each participant's names are its own.
            #expect(try await S.send(client, .post, "/queries", body: Self.shipments, as: "brand").status == 201)
            #expect(
                try await S.send(client, .get, "/queries/shipments", as: "retailer").json["name"] as? String
                    == "shipments")
            let unknown = try await S.send(client, .get, "/queries/nothing", as: "retailer")
            #expect(unknown.status == 404 && unknown.problem == "query.unknown")

            // Run: the events GET /events gives the same reader for the same parameters.
            let run = try await P.read(client, "/queries/shipments/events", as: "retailer")
            let direct = try await P.read(
                client, "/events?EQ_bizStep=shipping,receiving&eventType=ObjectEvent", as: "retailer")
            #expect(run.status == 200 && direct.status == 200)
            let (records, name) = try Self.records(run.body)
            let (directRecords, directName) = try Self.records(direct.body)
            #expect(records == [9, 10] && records == directRecords)
            #expect(name == "shipments" && directName == "SimpleEventQuery")
            let paged = try await P.read(client, "/queries/shipments/events?perPage=1", as: "retailer")
            #expect(try Self.records(paged.body).records == [9])
            #expect(try await P.read(client, "/queries/shipments/events").status == 401)

            // Subscribe: only streamed, to a public webhook.
            for refused in [
                #"{"dest":"https://platform.example/hook"}"#,
                #"{"dest":"https://platform.example/hook","stream":true,"schedule":{"hour":"1"}}"#,
                #"{"dest":"http://127.0.0.1/hook","stream":true}"#, #"{"stream":true}"#, "[]",
            ] {
                let answer = try await S.send(
                    client, .post, "/queries/shipments/subscriptions", body: refused, as: "retailer")
                #expect(answer.status == 400 && answer.problem?.hasPrefix("subscription.") == true, "\(refused)")
            }
            let body = #"{"dest":"https://platform.example/hook","stream":true,"reportIfEmpty":false}"#
            #expect(
                try await S.send(client, .post, "/queries/nothing/subscriptions", body: body, as: "retailer").status
                    == 404)
            let subscribed = try await S.send(
                client, .post, "/queries/shipments/subscriptions", body: body, as: "retailer")
            #expect(subscribed.status == 201 && subscribed.json["dest"] as? String == "https://platform.example/hook")
            let id = try #require(subscribed.json["subscriptionID"] as? String)
            #expect(
                try await S.send(client, .get, "/queries/shipments/subscriptions/\(id)", as: "retailer").status == 200)
            #expect(try await S.send(client, .get, "/queries/shipments/subscriptions/\(id)", as: "brand").status == 404)

            // A new event the query matches is written to the subscription's outbox.
            let receipt =
                #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"eventTime":"2026-09-02T05:00:00Z","eventTimeZoneOffset":"+00:00","type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving","epcList":["urn:epc:id:sgtin:0614141.112345.2"]}"#
            let seq = try await ledger.append([
                try Envelope(signing: Array(receipt.utf8), type: Statement.eventPayloadType, with: P.keys["retailer"]!)
            ]).lowerBound
            #expect(try await ledger.deliveries(subscription: id).map(\.message.seq) == [seq])

            // Deleting the query ends its subscriptions; the brand's query of the same name stays.
            #expect(try await S.send(client, .delete, "/queries/shipments", as: "retailer").status == 204)
            #expect(try await S.send(client, .get, "/queries/shipments", as: "retailer").status == 404)
            #expect(try await ledger.subscriptions(of: "retailer").isEmpty)
            #expect(try await S.send(client, .get, "/queries/shipments", as: "brand").status == 200)
        }
    }

    @Test(arguments: [
        #"{"name":"a/b","query":{}}"#, #"{"name":"","query":{}}"#, #"{"name":"x","query":{"perPage":"2"}}"#,
        #"{"name":"x","query":{"EQ_bizStep":["a,b"]}}"#, #"{"name":"x","query":{"EQ_bizStep":[]}}"#,
        #"{"name":"x","query":{"EQ_bizStep":{"a":1}}}"#, #"{"name":"x","query":{"NOPE":"1"}}"#,
        #"{"name":"x","query":{},"more":1}"#, #"{"name":"x","name":"y","query":{}}"#, "[]", "not json",
    ])
    func aQueryThatIsNotOneIsRefused(body: String) async throws {
        let ledger = try await P.ledger()
        try await P.app(ledger).test(.router) { client in
            let answer = try await S.send(client, .post, "/queries", body: body, as: "retailer")
            #expect(answer.status == 400 && answer.problem?.hasPrefix("query.") == true, "\(answer)")
        }
        #expect(try await ledger.namedQueries(of: "retailer").isEmpty)
    }
}
