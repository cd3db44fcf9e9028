import EPCIS
import Foundation
import HTTPTypes
import Hummingbird
import LedgerStore
import Threadline

/// Named queries and their subscriptions as the EPCIS 2.0 REST binding shapes them (`Specs/26-subscriptions.md`
/// §8): each request signed by a participant, who keeps, runs, subscribes to and deletes its own queries.
struct QueryRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate
    let privateWebhooks: Bool

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.post("/queries") { request, _ -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: NamedQuery.maxBytes))
            let owner = try await gate.participant(of: request, body: body)
            let kept = try await ledger.defineQuery(try NamedQuery(json: body), owner: owner)
            var response = Server.json(Self.json(kept).serialized, status: .created)
            response.headers[.location] = "/queries/\(kept.query.name)"
            return response
        }
        routes.get("/queries") { request, _ -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            let list = try await ledger.namedQueries(of: owner)
            return Self.private(JSONValue.array(list.map(Self.json)))
        }
        routes.get("/queries/:name") { request, context -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            let kept = try await ledger.namedQuery(try context.parameters.require("name"), of: owner)
            return Self.private(Self.json(kept))
        }
        routes.delete("/queries/:name") { request, context -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            try await ledger.dropQuery(try context.parameters.require("name"), owner: owner)
            return Response(status: .noContent)
        }
        routes.get("/queries/:name/events") { request, context -> Response in
            let admitted = try await gate.identify(request, for: .events)
            guard case .participant(let owner) = admitted.reader else { throw ReadGate.unsigned }
            let kept = try await ledger.namedQuery(try context.parameters.require("name"), of: owner)
            // The query's own parameters, then the page asked for.
            var parameters = kept.query.parameters.map { ($0.name, $0.value) }
            for name in ["perPage", "nextPageToken"] {
                if let value = request.uri.queryParameters.get(name) { parameters.append((name, value)) }
            }
            let query = try EventQuery(parameters: parameters)
            let (policy, reader) = (admitted.policy, admitted.reader)
            let page = try await ledger.page(query) {
                policy.sees(signers: $0.signers, event: $0.event, reader: reader)
            }
            let now = Timestamp.format(millis: Int64(Date().timeIntervalSince1970 * 1000))
            let document = Ledger.naming(
                kept.query.name, queryResultsOf: try EventQuery.document(page, creationDate: now))
            var response = Server.json(document.serialized, status: .ok)
            response.headers[.cacheControl] = "private, no-store"
            return response
        }
        routes.post("/queries/:name/subscriptions") { request, context -> Response in
            let body = Array(buffer: try await request.body.collect(upTo: Subscription.maxURLBytes + 1024))
            let owner = try await gate.participant(of: request, body: body)
            let name = try context.parameters.require("name")
            let dest = try NamedQuery.destination(ofSubscriptionRequest: body)
            try SubscriptionRoutes.check(webhook: dest, privateWebhooks: privateWebhooks)
            let stored = try await ledger.subscribe(url: dest, toQuery: name, owner: owner)
            var response = Server.json(Self.json(stored).serialized, status: .created)
            response.headers[.location] = "/queries/\(name)/subscriptions/\(stored.id)"
            return response
        }
        routes.get("/queries/:name/subscriptions") { request, context -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            let name = try context.parameters.require("name")
            _ = try await ledger.namedQuery(name, of: owner)
            return Self.private(.array(try await ledger.subscriptions(onQuery: name, of: owner).map(Self.json)))
        }
        routes.get("/queries/:name/subscriptions/:id") { request, context -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            return Self.private(Self.json(try await subscription(context, owner: owner)))
        }
        routes.delete("/queries/:name/subscriptions/:id") { request, context -> Response in
            let owner = try await gate.participant(of: request, body: nil)
            let stored = try await subscription(context, owner: owner)
            try await SubscriptionRoutes.known { try await ledger.unsubscribe(stored.id, subscriber: owner) }
            return Response(status: .noContent)
        }
        return routes
    }

    /// The subscription `:id` made on `owner`'s query `:name`; `404` otherwise.
    func subscription(_ context: ServerContext, owner: String) async throws -> StoredSubscription {
        let (name, id) = (try context.parameters.require("name"), try context.parameters.require("id"))
        guard let stored = try await ledger.subscriptions(onQuery: name, of: owner).first(where: { $0.id == id }) else {
            throw NotFound("no subscription \(id) on a query named '\(name)'")
        }
        return stored
    }

    static func json(_ kept: Ledger.KeptQuery) -> JSONValue {
        guard case .object(var members) = kept.query.json else { return kept.query.json }
        members.append(.init("createdAt", .string(Timestamp.format(millis: kept.createdMillis))))
        return .object(members)
    }

    static func json(_ stored: StoredSubscription) -> JSONValue {
        .object([
            .init("subscriptionID", .string(stored.id)), .init("dest", .string(stored.url)),
            .init("stream", .bool(true)), .init("createdAt", .string(Timestamp.format(millis: stored.createdMillis))),
            .init("fromSeq", .number(String(stored.fromSeq))),
        ])
    }

    static func `private`(_ value: JSONValue) -> Response {
        var response = Server.json(value.serialized, status: .ok)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}
