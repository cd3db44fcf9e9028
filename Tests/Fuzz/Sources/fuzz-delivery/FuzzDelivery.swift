import FuzzSupport
import Threadline
import ThreadlineDeliveries
import TransparencyLog

/// What a webhook receives and what a subscriber sends (`Specs/26-subscriptions.md`): the input read as a saved
/// request (`SavedRequest`, what `verify-delivery` reads), its body checked as a delivery's (`verifyBody`: the form,
/// the proofs, the records) and read as a subscription (`Subscription(json:)`), a named query (`NamedQuery(json:)`)
/// and a subscription request on one. Properties: a subscription's and a named query's JSON form read back as the
/// same; nothing traps, whatever the input; a webhook URL is judged private or not without trapping.
@main
enum FuzzDelivery: FuzzTarget {
    static func fuzz(_ input: FuzzInput) {
        let bytes = input.bytes
        let request = try? SavedRequest(message: bytes)
        if let request {
            _ = request.url
            let fields = request.fields
            _ = try? DeliveryVerifier.verify(
                method: request.method, url: request.url ?? "http://x/", field: { fields[$0] }, body: request.body,
                operatorKey: log.verifierKey)
        }
        for body in [bytes, request?.body].compactMap({ $0 }) {
            _ = try? DeliveryVerifier.verifyBody(body, log: log)
            guard let subscription = try? Subscription(json: body) else { continue }
            let again = try? Subscription(json: Array(subscription.json.serialized.utf8))
            require(again == subscription, "the subscription's JSON form reads back as another: \(subscription)")
            _ = Subscription.isPrivate(url: subscription.url)
        }
        _ = try? NamedQuery.destination(ofSubscriptionRequest: bytes)
        if let query = try? NamedQuery(json: bytes) {
            let again = try? NamedQuery(json: Array(query.json.serialized.utf8))
            require(again == query, "the named query's JSON form reads back as another: \(query)")
        }
    }
}

let log = try! Ed25519NoteVerifier(
    verifierKey: "example.com/threadline-test+ba5fb494+AawjBxu+n9nXcyS4cD+6u1LRSHDSQF95pa62+4fzzjaq")
