import EPCIS
import Foundation
import HTTPTypes
import Hummingbird
import LedgerStore
import Threadline

/// A participant's subscriptions (`Specs/26-subscriptions.md` §7): each request signed by the participant, who
/// subscribes, lists, ends and replays its own.
struct SubscriptionRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate
    /// Whether webhooks on this machine or a private network are taken (`serve --private-webhooks`).
    let privateWebhooks: Bool

    /// The most records one replay request reads; the answer says where the next one starts.
    static let maxReplay: Int64 = 100_000
    /// The largest subscription body.
    static let maxBody = Subscription.maxBytes

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.post("/subscriptions") { request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: Self.maxBody))
            let subscriber = try await gate.participant(of: request, body: body)
            let subscription = try Subscription(json: body)
            try Self.check(webhook: subscription.url, privateWebhooks: privateWebhooks)
            let stored = try await ledger.subscribe(subscription, subscriber: subscriber)
            var response = Server.json(try stored.json(deliveries: []).serialized, status: .created)
            response.headers[.location] = "/subscriptions/\(stored.id)"
            return response
        }
        routes.get("/subscriptions") { request, _ -> Response in
            let subscriber = try await gate.participant(of: request, body: nil)
            let list = try await ledger.subscriptions(of: subscriber)
            var items: [JSONValue] = []
            for stored in list {
                items.append(
                    try stored.json(deliveries: try await ledger.deliveries(subscription: stored.id, limit: 10_000)))
            }
            var response = Server.json(
                JSONValue.object([.init("subscriptions", .array(items))]).serialized, status: .ok)
            response.headers[.cacheControl] = "private, no-store"
            return response
        }
        routes.delete("/subscriptions/:id") { request, context -> Response in
            let subscriber = try await gate.participant(of: request, body: nil)
            try await Self.known {
                try await ledger.unsubscribe(try context.parameters.require("id"), subscriber: subscriber)
            }
            return Response(status: .noContent)
        }
        routes.post("/subscriptions/:id/replay") { request, context -> Response in
            let subscriber = try await gate.participant(of: request, body: nil)
            guard let text = request.uri.queryParameters.get("from"), let from = Int64(text), from >= 0 else {
                throw ServerError(.httpQuery, "give from=<record number>")
            }
            let id = try context.parameters.require("id")
            let size = try await ledger.size()
            let to = min(size, from + Self.maxReplay)
            let count = try await Self.known {
                try await ledger.replay(id, subscriber: subscriber, from: from, to: to)
            }
            var members: [JSONValue.Member] = [
                .init("messages", .number(String(count))), .init("from", .number(String(from))),
                .init("to", .number(String(max(from, to)))),
            ]
            if to < size { members.append(.init("next", .number(String(to)))) }
            return Server.json(JSONValue.object(members).serialized, status: .accepted)
        }
        return routes
    }

    /// Refuses a webhook on this machine or a private network, unless the server posts there (`--private-webhooks`).
    static func check(webhook url: String, privateWebhooks: Bool) throws {
        guard privateWebhooks || !Subscription.isPrivate(url: url) else {
            throw EngineError(
                .subscriptionURL,
                "the webhook is on this machine or a private network, which this server does not post to")
        }
    }

    /// `body`, with an unknown subscription answered `404`.
    static func known<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as EngineError where error.code == .subscriptionUnknown {
            throw NotFound(error.reason)
        }
    }
}
