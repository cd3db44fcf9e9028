import EPCIS
import Foundation
import GS1Identifiers
import HTTPTypes
import Hummingbird
import LedgerStore
import Statements
import Threadline
import TransparencyLog

/// Every failure as RFC 9457 problem details: a stable `type`, a `title`, the `status` and the `detail`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let refusal as ReadRefusal {
            var response = Server.problem(
                status: refusal.status, code: refusal.error.codeName, detail: refusal.error.reason)
            // RFC 9421 §5.1: what signature the server would take.
            if refusal.status == .unauthorized, let acceptSignature = HTTPField.Name("Accept-Signature") {
                response.headers[acceptSignature] =
                    #"sig1=("@method" "@target-uri");created;alg="ed25519""#
            }
            return response
        } catch let error as NotFound {
            return Server.problem(status: .notFound, code: "not-found", detail: error.detail)
        } catch let error as HTTPError {
            return Server.problem(status: error.status, code: "http", detail: error.body ?? "\(error.status)")
        } catch let error as any HTTPResponseError {
            let detail =
                error.status == .contentTooLarge
                ? "the body is larger than this route accepts" : error.status.reasonPhrase
            return Server.problem(status: error.status, code: "http", detail: detail)
        } catch let error as ServerError where error.code == .captureSize {
            // More statements than a request may carry is a body too large, as one over the byte limit is.
            return Server.problem(status: .contentTooLarge, code: error.codeName, detail: error.reason)
        } catch let error as ServerError where error.code == .captureBusy {
            var response = Server.problem(status: .serviceUnavailable, code: error.codeName, detail: error.reason)
            response.headers[.retryAfter] = "1"
            return response
        } catch let error as EngineError where error.code == .queryExists {
            return Server.problem(status: .conflict, code: error.codeName, detail: error.reason)
        } catch let error as EngineError where error.code == .queryUnknown {
            return Server.problem(status: .notFound, code: error.codeName, detail: error.reason)
        } catch let error as any CodedError {
            return Server.problem(status: .badRequest, code: error.codeName, detail: error.reason)
        } catch let error as EPCISValidationError {
            return Server.problem(status: .badRequest, code: "epcis.invalid", detail: error.description)
        } catch let error as LedgerError {
            switch error {
            // Which statement of the request, and for a duplicate the record that holds it (RFC 9457 extension
            // members).
            case .invalidStatement(let index, let reason):
                return Server.problem(
                    status: .badRequest, code: reason.codeName, detail: reason.reason,
                    extra: [.init("index", .number(String(index)))])
            case .refused(let index, let reason, let existing):
                return Server.problem(
                    status: .unprocessableContent, code: reason.codeName, detail: reason.reason,
                    extra: [.init("index", .number(String(index)))]
                        + (existing.map { [.init("existing", .number(String($0)))] } ?? []))
            case .noSuchRecord, .badTreeSize, .noSuchProduct:
                return Server.problem(status: .notFound, code: "not-found", detail: error.description)
            case .noOperatorKey, .wrongOperatorKey:
                return Server.problem(status: .serviceUnavailable, code: "operator-key", detail: error.description)
            case .inconsistent:
                return Server.problem(status: .internalServerError, code: "inconsistent", detail: error.description)
            }
        } catch let error as LedgerStoreError {
            return Server.problem(status: .serviceUnavailable, code: "store", detail: error.description)
        }
    }
}

/// A resource the request names that the server does not have (a 404 problem, `not-found`).
struct NotFound: Error {
    let detail: String

    init(_ detail: String) {
        self.detail = detail
    }
}
