import Foundation
import HTTPSignatures
import HTTPTypes
import Hummingbird
import LedgerRules
import Statements
import Threadline
import TransparencyLog

/// The read routes' gate (`Specs/21-read-policy.md` §2): who a request is from (`RequestAuthentication`), and
/// what the policy lets that reader have from a route. Every read route that is not open to anyone asks it.
struct ReadGate: Sendable {
    let ledger: Ledger
    let authentication: RequestAuthentication
    /// Whether every reader sees everything (`serve --public-reads`).
    let publicReads: Bool
    /// The scheme and authority requests are signed for (`serve --public-url`); nil to take `http://` and the
    /// request's Host.
    let signedBase: String?

    /// A request let through: its reader, the policy it is judged by, and what it gets from the route.
    struct Admitted: Sendable {
        let reader: Reader
        let policy: ReadPolicy
        let access: ReadPolicy.Access

        /// Whether the reader may see the record holding `envelope`.
        func sees(_ envelope: Envelope) -> Bool { access == .all || policy.sees(envelope, reader: reader) }
    }

    /// The request's reader, judged against the registry as it stands; throws `ReadRefusal` when the signature
    /// does not hold or when the route refuses that reader.
    func admit(_ route: ReadPolicy.Route, _ request: Request) async throws -> Admitted {
        let admitted = try await identify(request, for: route)
        guard admitted.access != .refused else {
            throw admitted.reader == .anyone
                ? ReadGate.unsigned
                : ReadRefusal(
                    status: .forbidden,
                    ServerError(.readForbidden, "the signer may not read this (21 §2: \(route.rawValue))"))
        }
        return admitted
    }

    /// The refusal of an unsigned request for what only a participant may read.
    static let unsigned = ReadRefusal(
        status: .unauthorized,
        ServerError(.readUnsigned, "this read needs a request signed by a registered participant (20)"))

    /// The request's reader and what it gets from `route`, refused or not (for routes that answer anyone, but
    /// differently).
    func identify(_ request: Request, for route: ReadPolicy.Route) async throws -> Admitted {
        let (reader, policy) = try await reader(of: request, body: nil)
        return Admitted(reader: reader, policy: policy, access: policy.access(route, reader))
    }

    /// The registered participant that signed `request` — over its `body` too, with a `Content-Digest`, when it
    /// has one — for the routes only a participant may use (subscriptions, 26 §7): `401` unsigned or badly signed,
    /// `403` for a key that is not a participant's current one.
    func participant(of request: Request, body: [UInt8]?) async throws -> String {
        guard case .participant(let id) = try await reader(of: request, body: body).0 else {
            throw ReadRefusal(
                status: .unauthorized,
                ServerError(.readUnsigned, "this route needs a request signed by a registered participant (20)"))
        }
        return id
    }

    /// Who signed `request` (over `body`, if any), judged against the registry as it stands.
    private func reader(of request: Request, body: [UInt8]?) async throws -> (Reader, ReadPolicy) {
        let registry = try await ledger.currentRegistry()
        let policy = ReadPolicy(registry: registry, publicReads: publicReads)
        let base = signedBase ?? "http://" + (request.head.authority ?? "")
        let signed = RequestSignature.Request(
            method: request.method.rawValue, targetURI: base + (request.head.path ?? "/"), body: body)
        let reader: Reader
        do throws(RequestAuthentication.Refusal) {
            reader = try authentication.reader(
                signed, field: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }, registry: registry,
                now: Int64(Date().timeIntervalSince1970))
        } catch {
            switch error {
            case .unauthenticated(let refusal): throw ReadRefusal(status: .unauthorized, refusal)
            case .forbidden(let detail): throw ReadRefusal(status: .forbidden, ServerError(.readForbidden, detail))
            }
        }
        return (reader, policy)
    }
}

/// A read the gate refused: `401` (no valid signature where one is needed) or `403` (a signer that may not read
/// it), as problem details with the refusal's code.
struct ReadRefusal: Error {
    let status: HTTPResponse.Status
    let error: any CodedError

    init(status: HTTPResponse.Status, _ error: any CodedError) {
        self.status = status
        self.error = error
    }
}
