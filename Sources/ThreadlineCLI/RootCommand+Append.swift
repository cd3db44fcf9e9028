import ArgumentParser
import Foundation
import Statements
import Threadline
import TransparencyLog

extension RootCommand {
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a payload into a DSSE envelope and append it; print its sequence number.",
            discussion: "The number is printed once the record is durable.")

        @OptionGroup var options: LedgerOptions

        @Option(name: .customLong("as"), help: ArgumentHelp("The signer's private key file.", valueName: "keyfile"))
        var signer: String

        @Option(name: .customLong("type"), help: ArgumentHelp("The payload's media type.", valueName: "mediatype"))
        var payloadType: String

        @Argument(help: ArgumentHelp("The payload file, or - for standard input.", valueName: "file"))
        var file: String = "-"

        func run() async throws {
            try await reportingFailures {
                let key = try SigningKey(fileContents: try Files.readText(signer, what: "key file"))
                let payload = try Files.read(file, what: "payload")
                let envelope = try Envelope(signing: Array(payload), type: payloadType, with: key)
                let ledger = try await options.open()
                let range = try await ledger.append([envelope])
                Output.line(String(range.lowerBound))
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append pre-signed DSSE envelopes; print each one's sequence number.",
            discussion: """
                Every signature is checked first. Several files are appended as one batch: all of them, in order, \
                or — if any is refused — none. With --jsonl, each file (or - for standard input) holds one \
                envelope per line, appended in batches of --batch; each batch's numbers are printed once it is \
                durable, and a refused line stops the run before its batch (earlier batches stay appended).
                """)

        @OptionGroup var options: LedgerOptions

        @Flag(help: "Read one envelope per line (JSON Lines) and append in batches.")
        var jsonl = false

        @Option(help: ArgumentHelp("Envelopes per batch with --jsonl.", valueName: "n"))
        var batch = 1000

        @Argument(help: ArgumentHelp("DSSE envelope JSON files (- for standard input).", valueName: "envelope.json"))
        var files: [String]

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("Give at least one envelope file.") }
            guard (1...Ledger.maxBatch).contains(batch) else {
                throw ValidationError("--batch must be between 1 and \(Ledger.maxBatch).")
            }
        }

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                if jsonl {
                    try await submitLines(to: ledger)
                    return
                }
                let documents = try files.map { Array(try Files.read($0, what: "envelope")) }
                let prepared: PreparedStatements
                do { prepared = try Ledger.prepare(submissions: documents) } catch LedgerError.invalidStatement(
                    let index, let error)
                {
                    throw CommandFailure(CommandFailure.inputRefused, "\(files[index]): \(error.reason)")
                }
                for seq in try await ledger.append(prepared: prepared) { Output.line(String(seq)) }
            }
        }

        /// Streams JSON Lines: checking batch k+1 overlaps writing batch k.
        private func submitLines(to ledger: Ledger) async throws {
            for file in files {
                let batches = LineBatches(reader: try LineReader(path: file), size: batch)
                try await ledger.appendPipelined(batches) { batch in
                    do { return try Ledger.prepare(submissions: batch.lines) } catch LedgerError.invalidStatement(
                        let index, let error)
                    {
                        throw CommandFailure(
                            CommandFailure.inputRefused, "\(file) line \(batch.lineNumbers[index]): \(error.reason)")
                    }
                } durable: { range in
                    for seq in range { Output.line(String(seq)) }
                }
            }
        }
    }

    /// Non-blank lines in batches, with their line numbers.
    struct LineBatches: Sequence, IteratorProtocol {
        var reader: LineReader
        let size: Int
        var lineNumber = 0

        mutating func next() -> (lines: [[UInt8]], lineNumbers: [Int])? {
            var batch: (lines: [[UInt8]], lineNumbers: [Int]) = ([], [])
            while batch.lines.count < size, let line = reader.next() {
                lineNumber += 1
                if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    batch.lines.append(line)
                    batch.lineNumbers.append(lineNumber)
                }
            }
            return batch.lines.isEmpty ? nil : batch
        }
    }

    struct Entry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a record's exact stored bytes to standard output.")

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("The record's sequence number.", valueName: "seq"))
        var seq: Int64

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                Output.raw(try await ledger.entry(seq))
            }
        }
    }
}
