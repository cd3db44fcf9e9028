import EPCIS
import Foundation
import Statements
import Threadline

extension RemoteLedger {
    typealias Recorded = RootCommand.Import.Recorded
    typealias Refused = RootCommand.Import.Refused

    /// `import` through the server: the `good` events (their index in the document, the event, its payload),
    /// signed by `keys` here, in requests of at most `requestStatements` — each signed while the one before it is
    /// with the server, each all or nothing and durable before the next is sent (an event may rely on the ones
    /// before it). A refusal stops there: what was recorded before it is reported, and the refusal thrown. With
    /// `continueOnError`, every event is tried on its own (capture jobs of 100 that proceed past refusals) and
    /// each refusal is reported.
    func importEvents(
        _ good: [(index: Int, event: EPCISEvent, payload: [UInt8])], signedBy keys: [SigningKey], sealed: Bool,
        paths: [String], continueOnError: Bool
    ) async throws -> (recorded: [Recorded], refused: [Refused]) {
        var recorded: [Recorded] = []
        var refused: [Refused] = []
        // A request's size, estimated from its payloads: an envelope is its payload in base64 and a few hundred
        // bytes per signature; sealed, a digest per field and a disclosure (the field, a salt, base64) per field.
        let sizes = good.map {
            (sealed ? $0.payload.count * 5 + 1000 : $0.payload.count * 4 / 3) + 200 * keys.count + 100
        }
        let requests = Self.requests(sizes: sizes, most: continueOnError ? 100 : Self.requestStatements)
        @Sendable func sign(_ request: Range<Int>) throws -> [[UInt8]] {
            try Recording.submissions(good[request].map(\.payload), with: keys, sealed: sealed).map(\.json)
        }
        if Output.isTerminal { FileHandle.standardError.write(Data("recording \(good.count) events…\n".utf8)) }
        var next: Task<[[UInt8]], any Error>? = requests.first.map { first in Task { try sign(first) } }
        for (number, request) in requests.enumerated() {
            Output.progress("recording", Int64(request.lowerBound), Int64(good.count))
            guard let signing = next else { break }
            let bytes = try await signing.value
            next = number + 1 < requests.count ? Task { [requests] in try sign(requests[number + 1]) } : nil
            if continueOnError {
                let outcomes = try await captureEach(bytes)
                for (offset, outcome) in outcomes.enumerated() {
                    let (index, event, _) = good[request.lowerBound + offset]
                    switch outcome {
                    case .recorded(let seq): recorded.append(Recorded(index: index, seq: seq, hash: event.hash()))
                    case .refused(let code, let detail):
                        refused.append(
                            Refused(index: index, path: paths[index], code: code, reason: detail, existing: nil))
                    }
                }
                continue
            }
            let range: Range<Int64>
            do { range = try await submit(bytes) } catch let refusal as ServerRefusal
                where refusal.exitCode == CommandFailure.inputRefused
            {
                next?.cancel()
                let which = refusal.index.map { request.lowerBound + $0 }.map { good[$0].index }
                let event = which.map { "event \($0) (\(paths[$0]))" } ?? "a request"
                let before =
                    recorded.isEmpty
                    ? "nothing recorded"
                    : "recorded events \(recorded[0].index)–\(recorded[recorded.count - 1].index) as records "
                        + "\(recorded[0].seq)–\(recorded[recorded.count - 1].seq), nothing after"
                throw CommandFailure(
                    CommandFailure.inputRefused,
                    "\(before): \(event) refused: \(refusal.code.map { "\($0): " } ?? "")\(refusal.detail)")
            }
            for (offset, seq) in range.enumerated() {
                let (index, event, _) = good[request.lowerBound + offset]
                recorded.append(Recorded(index: index, seq: seq, hash: event.hash()))
            }
        }
        Output.progress("recording", Int64(good.count), Int64(good.count))
        return (recorded, refused)
    }
}
