import EPCIS
import Foundation
import Statements
import Threadline

extension RemoteLedger {
    typealias Recorded = RootCommand.Import.Recorded
    typealias Refused = RootCommand.Import.Refused

    /// `import` through the server: `envelopes` (the signed `good` events: their index in the document and the
    /// event) in requests of at most `requestStatements`, each all or nothing and durable before the next is sent
    /// (an event may rely on the ones before it). A refusal stops there: what was recorded before it is
    /// reported, and the refusal thrown. With `continueOnError`, every event is tried on its own (capture jobs of
    /// 100 that proceed past refusals) and each refusal is reported.
    func importEvents(
        _ envelopes: [Envelope], good: [(index: Int, event: EPCISEvent)], paths: [String], continueOnError: Bool
    ) async throws -> (recorded: [Recorded], refused: [Refused]) {
        let bytes = envelopes.map(\.canonicalJSON)
        var recorded: [Recorded] = []
        var refused: [Refused] = []
        let requests = Self.requests(bytes, most: continueOnError ? 100 : Self.requestStatements)
        if Output.isTerminal { FileHandle.standardError.write(Data("recording \(good.count) events…\n".utf8)) }
        for request in requests {
            Output.progress("recording", Int64(request.lowerBound), Int64(bytes.count))
            if continueOnError {
                let outcomes = try await captureEach(Array(bytes[request]))
                for (offset, outcome) in outcomes.enumerated() {
                    let (index, event) = good[request.lowerBound + offset]
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
            do { range = try await submit(Array(bytes[request])) } catch let refusal as ServerRefusal
                where refusal.exitCode == CommandFailure.inputRefused
            {
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
                let (index, event) = good[request.lowerBound + offset]
                recorded.append(Recorded(index: index, seq: seq, hash: event.hash()))
            }
        }
        Output.progress("recording", Int64(bytes.count), Int64(bytes.count))
        return (recorded, refused)
    }
}
