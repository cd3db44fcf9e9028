import EPCIS
import Foundation
import GS1Identifiers
import LedgerRules
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// The log's read side (`Specs/17-server.md` §Routes): the checkpoint, records, inclusion and consistency proofs,
/// and the C2SP tlog-tiles of the tree.
struct LogRoutes: Sendable {
    let ledger: Ledger
    let gate: ReadGate

    var routes: RouteCollection<ServerContext> {
        let routes = RouteCollection(context: ServerContext.self)
        routes.get("/checkpoint") { _, _ -> Response in
            let note = try await ledger.checkpoint()
            return Server.text(note.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        routes.get("/records/:seq") { request, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            let bytes = try await visibleRecord(seq, request, route: .record)
            return Server.bytes(bytes, cache: gate.publicReads ? Server.immutable : Server.privateImmutable)
        }
        routes.get("/proofs/inclusion/:seq") { request, context -> Response in
            let seq = try context.parameters.require("seq", as: Int64.self)
            _ = try await visibleRecord(seq, request, route: .inclusionProof)
            let proof = try await ledger.inclusionProof(seq)
            return Server.text(proof.encoded, type: "text/plain; charset=utf-8", cache: "no-cache")
        }
        routes.get("/registry") { request, _ -> Response in
            _ = try await gate.admit(.registry, request)
            let (note, entries) = try await ledger.provedRegistry()
            let body = JSONValue.object([
                .init("checkpoint", .string(note.encoded)), .init("records", ProductBundle.records(entries)),
            ])
            return Server.text(body.serialized, type: "application/json", cache: "private, no-cache")
        }
        routes.get("/proofs/consistency") { request, _ -> Response in
            guard let old = request.uri.queryParameters.get("old", as: Int64.self),
                let new = request.uri.queryParameters.get("new", as: Int64.self)
            else { throw ServerError(.httpQuery, "give old=<size>&new=<size>") }
            let proof = try await ledger.consistencyProof(from: old, to: new)
            return Server.text(
                proof.map { $0.base64 + "\n" }.joined(), type: "text/plain; charset=utf-8",
                cache: Server.immutable)
        }
        routes.get("/tile/**") { request, context -> Response in
            let path = "tile/" + context.parameters.getCatchAll().joined(separator: "/")
            // Entry tiles hold records: whole to readers who see everything, and to anyone else when every record
            // in them is one the reader may see — sealed ones are anyone's (21 §2). Hash tiles are public.
            let entries = path.hasPrefix("tile/entries/")
            let admitted = entries ? try await gate.admit(.entryTiles, request) : nil
            let bytes = Array(try await ledger.tile(path: path))
            if let admitted, admitted.access != .all {
                try visibleEntries(bytes, admitted)
            }
            return Server.bytes(
                bytes, cache: !entries || gate.publicReads ? Server.immutable : Server.privateImmutable)
        }
        return routes
    }

    /// Record `seq`'s bytes when the reader may see it; a record outside its view is `404`, as one past the log's
    /// end is.
    @Sendable func visibleRecord(_ seq: Int64, _ request: Request, route: ReadPolicy.Route) async throws -> [UInt8] {
        let admitted = try await gate.admit(route, request)
        let bytes = try await ledger.entry(seq)
        guard try admitted.access == .all || admitted.sees(LedgerRecord(bytes: bytes).envelope) else {
            // Unsigned, only sealed records are to be had: asked for another, it is told to sign.
            if admitted.reader == .anyone { throw ReadGate.unsigned }
            throw NotFound("there is no record \(seq) that this reader may see")
        }
        return bytes
    }

    /// Refuses an entry tile (`bytes`, tlog-tiles' entry bundle) holding a record the reader may not see.
    func visibleEntries(_ bytes: [UInt8], _ admitted: ReadGate.Admitted) throws {
        var at = 0
        while at + 2 <= bytes.count {
            let length = Int(bytes[at]) << 8 | Int(bytes[at + 1])
            let end = min(bytes.count, at + 2 + length)
            guard try admitted.sees(LedgerRecord(bytes: bytes[(at + 2)..<end]).envelope) else {
                if admitted.reader == .anyone { throw ReadGate.unsigned }
                throw ReadRefusal(
                    status: .forbidden,
                    ServerError(.readForbidden, "this tile holds records the signer may not read (21 §2: entry tiles)"))
            }
            at = end
        }
    }
}
