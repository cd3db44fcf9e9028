import Foundation
import Statements
import Threadline
import TransparencyLog

/// Writes through a server (`Specs/22-client.md` §4): statements are signed on the participant's machine and
/// posted; the server answers once they are durable, and the client then checks that they are in the log.
extension RemoteLedger {
    /// The most statements, and bytes, one request carries (the server takes 100,000 and 64 MiB).
    static let requestStatements = 20_000
    static let requestBytes = 32 << 20

    /// Posts `envelopes` (canonical DSSE JSON) to `POST /statements` as JSON Lines, all or nothing, and returns
    /// the records they became once the first and last are checked to be in the log as sent.
    func submit(_ envelopes: [[UInt8]]) async throws -> Range<Int64> {
        var body: [UInt8] = []
        body.reserveCapacity(envelopes.reduce(0) { $0 + $1.count + 1 })
        for envelope in envelopes {
            body += envelope
            body.append(0x0A)
        }
        let answer = try server.expect(
            try await server.post("/statements", body: body, type: "application/x-ndjson"), "the statements")
        let json = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        guard let first = (json?["seq"] as? NSNumber)?.int64Value else {
            throw CommandFailure(
                CommandFailure.verificationFailed, "the server's answer names no record: \(answer.text)")
        }
        let range = first..<first + Int64(envelopes.count)
        try await confirm(range, first: envelopes.first, last: envelopes.last)
        return range
    }

    /// Checks that `range` is in the log: the first and last record are read back, proved, and hold the
    /// envelopes sent. When the reader may not read them (a statement signed for someone else), the server's
    /// latest checkpoint must at least cover them.
    func confirm(_ range: Range<Int64>, first: [UInt8]?, last: [UInt8]?) async throws {
        for (seq, sent) in [(range.lowerBound, first), (range.upperBound - 1, last)] {
            guard let sent, !range.isEmpty else { continue }
            let record: [UInt8]
            do { record = try await provedRecord(seq).record } catch let refusal as ServerRefusal
                where [401, 403, 404].contains(refusal.status)
            {
                let (_, latest) = try await latestCheckpoint()
                guard latest.size >= range.upperBound else {
                    throw CommandFailure(
                        CommandFailure.verificationFailed,
                        "the server says records \(range.lowerBound)–\(range.upperBound - 1) are durable, but its "
                            + "checkpoint covers only \(latest.size)")
                }
                return
            }
            guard (try? LedgerRecord(bytes: record).envelope) == (try? Envelope(json: sent)) else {
                throw CommandFailure(
                    CommandFailure.verificationFailed, "record \(seq) does not hold the statement that was sent")
            }
        }
    }

    /// The requests statements of `sizes` bytes are sent in: consecutive runs within `most` statements and
    /// `requestBytes`.
    static func requests(sizes: [Int], most: Int = requestStatements) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, size) in sizes.enumerated() {
            if index > start && (index - start >= most || bytes + size + 1 > requestBytes) {
                out.append(start..<index)
                (start, bytes) = (index, 0)
            }
            bytes += size + 1
        }
        if start < sizes.count { out.append(start..<sizes.count) }
        return out
    }
}

extension RemoteLedger {
    /// A statement's outcome in a capture job: its record, or the server's refusal.
    enum Outcome {
        case recorded(Int64)
        case refused(code: String, detail: String)
    }

    /// Posts `envelopes` as one EPCIS capture job that records each statement on its own
    /// (`GS1-Capture-Error-Behaviour: proceed`), waits for it to end, and returns each statement's outcome. At
    /// most `CaptureJobs.maxErrors` (100) statements a job, so that every refusal is reported.
    func captureEach(_ envelopes: [[UInt8]]) async throws -> [Outcome] {
        var body: [UInt8] = []
        for envelope in envelopes {
            body += envelope
            body.append(0x0A)
        }
        let started = try server.expect(
            try await server.post(
                "/capture", body: body, type: "application/x-ndjson",
                headers: ["GS1-Capture-Error-Behaviour": "proceed"]),
            "the capture job")
        guard
            let id = (try? JSONSerialization.jsonObject(with: Data(started.body)) as? [String: Any])?["id"] as? String,
            id.allSatisfy({ $0.isHexDigit })
        else { throw CommandFailure(CommandFailure.verificationFailed, "the server named no capture job") }
        var delay: UInt64 = 5
        while true {
            let answer = try server.expect(try await server.get("/capture/\(id)"), "the capture job \(id)")
            let job = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
            guard let status = job?["status"] as? String else {
                throw CommandFailure(CommandFailure.verificationFailed, "the capture job's status does not read")
            }
            if status != "pending" {
                let records = (job?["records"] as? [NSNumber] ?? []).map(\.int64Value)
                var refused: [Int: Outcome] = [:]
                for error in job?["errors"] as? [[String: Any]] ?? [] {
                    guard let index = (error["index"] as? NSNumber)?.intValue else { continue }
                    let code = (error["type"] as? String).map { String($0.split(separator: "/").last ?? "") } ?? ""
                    refused[index] = .refused(code: code, detail: error["detail"] as? String ?? "")
                }
                guard records.count + refused.count == envelopes.count else {
                    throw CommandFailure(
                        CommandFailure.verificationFailed,
                        "the capture job accounts for \(records.count + refused.count) of \(envelopes.count) statements"
                    )
                }
                var next = records.makeIterator()
                return try envelopes.indices.map { index in
                    if let outcome = refused[index] { return outcome }
                    guard let seq = next.next() else {
                        throw CommandFailure(CommandFailure.verificationFailed, "the capture job lost a record")
                    }
                    return .recorded(seq)
                }
            }
            try await Task.sleep(nanoseconds: delay * 1_000_000)
            delay = min(delay * 2, 200)
        }
    }
}
