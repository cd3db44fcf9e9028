import Foundation
import LedgerStore
import LedgerStoreSQLite
import Statements
import Testing
import TransparencyLog

#if canImport(Glibc)
    import Glibc
#endif

/// A crash at any instant loses no acknowledged record and leaves a ledger that opens and verifies.
struct ReliabilityTests {
    @Test func sigkillDuringALongAppendRunLosesNothingAcknowledged() async throws {
        let folder = try CLI.folder()
        #expect(try CLI.run(["init", "--ledger", "l.db", "--origin", "example.com/crash"], in: folder).status == 0)
        let key = try SigningKey(name: "crash-test", seed: [UInt8](repeating: 4, count: 32))
        let count = 15_000
        // One file of statements per round (a statement is recorded once, so a round cannot resubmit the last's).
        var canonical: [[[UInt8]]] = []
        for round in 0..<2 {
            var lines: [String] = []
            lines.reserveCapacity(count)
            canonical.append([])
            for i in 0..<count {
                let payload = Array(#"{"round":\#(round),"n":\#(i)}"#.utf8)
                let envelope = try Envelope(signing: payload, type: "application/json", with: key)
                canonical[round].append(envelope.canonicalJSON)
                lines.append(String(decoding: envelope.canonicalJSON, as: UTF8.self))
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(
                to: folder.appendingPathComponent("in\(round).jsonl"))
        }

        let path = folder.appendingPathComponent("l.db").path
        // Each round submits its own file; its records start wherever the log ended before it.
        var expectedLine: [Int64: (round: Int, line: Int)] = [:]
        for (round, threshold) in [2_000, 9_000].enumerated() {
            let start = try await SQLiteLedgerStore.open(path: path).size()
            let process = CLI.process(
                ["submit", "--ledger", "l.db", "--jsonl", "--batch", "250", "in\(round).jsonl"], in: folder)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let seen = await Self.readLines(from: output.fileHandleForReading, until: threshold) {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the run ended before the kill")
            #expect(seen.count >= threshold)
            for (line, text) in seen.enumerated() {
                #expect(Int64(text) == start + Int64(line), "round \(round): acknowledgements are in order")
                expectedLine[start + Int64(line)] = (round, line)
            }
        }

        let verified = try CLI.run(["verify", "--ledger", "l.db"], in: folder)
        #expect(verified.status == 0, "\(verified.output)")
        let store = try SQLiteLedgerStore.open(path: path)
        let size = try await store.size()
        #expect(expectedLine.count >= 11_000)
        let records = try await store.records(0..<size)
        for (seq, source) in expectedLine.sorted(by: { $0.key < $1.key }) {
            #expect(seq < size, "acknowledged record \(seq) is missing")
            guard seq < size else { continue }
            let record = try LedgerRecord(bytes: records[Int(seq)])
            #expect(record.envelope.canonicalJSON == canonical[source.round][source.line], "record \(seq)")
        }
    }

    /// Reads lines until `count` have arrived, then calls `stop`, then reads what is left to the end.
    static func readLines(
        from handle: FileHandle, until count: Int, stop: @escaping @Sendable () -> Void
    ) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = Data()
                var stopped = false
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                    if !stopped, buffer.reduce(0, { $1 == 0x0A ? $0 + 1 : $0 }) >= count {
                        stop()
                        stopped = true
                    }
                }
                let text = String(decoding: buffer, as: UTF8.self)
                // A line cut by the kill was never fully acknowledged.
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                lines.removeLast()
                continuation.resume(returning: lines)
            }
        }
    }
}
