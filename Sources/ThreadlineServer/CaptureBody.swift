import EPCIS
import Foundation
import Hummingbird
import Statements
import Threadline
import TransparencyLog

/// Reading and checking capture bodies (`Specs/17-server.md` §Limits, §Who may submit).
extension Server {
    /// The envelopes of a capture body: one DSSE envelope, a JSON array of them, or JSON objects one after another
    /// (JSON Lines), as slices of the body. Objects are found by scanning bytes (strings and nesting), not by
    /// parsing: each envelope is parsed once, by `Ledger.prepare`, and nothing is copied here. Anything but
    /// whitespace outside the objects (and, for an array, its brackets and commas) is refused, and so is a body
    /// of more than `limit` objects, as soon as the scan reaches the one too many.
    @_spi(Fuzzing) public static func envelopes(
        _ body: [UInt8], limit: Int = maxStatements
    ) throws
        -> [ArraySlice<UInt8>]
    {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        let isArray = body.first(where: { !isSpace($0) }) == UInt8(ascii: "[")
        // Outside the objects, an array's body reads `[`, then objects separated by commas, then `]`.
        enum Between { case opening, first, afterObject, afterComma, closed }
        var between: Between = isArray ? .opening : .first
        var values: [ArraySlice<UInt8>] = []
        var depth = 0
        var start = 0
        var inString = false
        var escaped = false
        for (i, byte) in body.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if depth > 0 {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        guard byte == UInt8(ascii: "}") else {
                            throw ServerError(.captureBody, "byte \(i) closes an envelope with ']'")
                        }
                        values.append(body[start...i])
                        between = .afterObject
                    }
                default: break
                }
                continue
            }
            if isSpace(byte) { continue }
            switch byte {
            case UInt8(ascii: "[") where between == .opening: between = .first
            case UInt8(ascii: "{")
            where between == .first || between == .afterComma || (between == .afterObject && !isArray):
                guard values.count < limit else {
                    throw ServerError(.captureSize, "a request carries at most \(limit) statements")
                }
                start = i
                depth = 1
            case UInt8(ascii: ",") where isArray && between == .afterObject: between = .afterComma
            case UInt8(ascii: "]") where isArray && (between == .first || between == .afterObject): between = .closed
            default:
                throw ServerError(
                    .captureBody,
                    "byte \(i) is outside any envelope"
                        + (isArray ? " (an array of envelopes is [ {…}, {…} ])" : ""))
            }
        }
        guard depth == 0, !inString else { throw StatementError(.envelopeJSON, "the body ends inside an envelope") }
        guard !isArray || between == .closed else { throw ServerError(.captureBody, "the array is not closed") }
        return values
    }

    /// Runs CPU-heavy work (splitting a body, decoding, verifying and validating its statements) on a thread of
    /// its own, never on the server's event-loop threads nor on the few threads Swift's tasks share: while a
    /// large request is checked, the others are still read and answered.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Submissions checked for appending by a capture route: every signer must be a registered participant's
    /// current key (or the operator's), checked again under the append's sequencing; the EPCIS routes take only
    /// event statements.
    static func capture<Piece: Collection<UInt8> & Sendable>(
        _ submissions: [Piece], eventsOnly: Bool, requireSealed: Bool, ledger: Ledger
    ) async throws
        -> PreparedStatements
    {
        let registry = try await ledger.currentRegistry()
        var prepared = try await offload { try Ledger.prepare(submissions: submissions, signersIn: registry) }
        prepared.participantsOnly = true
        if eventsOnly && !prepared.allEvents {
            throw ServerError(
                .captureType,
                "the EPCIS capture interface takes EPCIS event statements (payloadType \(Statement.eventPayloadType)"
                    + " or \(SealedEvent.payloadType))")
        }
        if requireSealed && prepared.plainEvents > 0 {
            throw ServerError(
                .captureSealed,
                "this server records events sealed only (serve --require-sealed): \(prepared.plainEvents) plain event"
                    + " statement(s) refused; seal them (record --seal, \(SealedEvent.payloadType))")
        }
        return prepared
    }
}
