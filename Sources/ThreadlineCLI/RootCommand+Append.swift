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
                durable, and a refused line stops the run before its batch (earlier batches stay appended). \
                Through a server (--server, --remote), each batch is one request, checked here first, and its \
                numbers are printed once the server has it durable and its records are proved in the log.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

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
                let target = try target.target(reader: try reader.load())
                if jsonl {
                    switch target {
                    case .local(let options): try await submitLines(to: try await options.open())
                    case .remote(let remote): try await submitLines(to: remote)
                    }
                    return
                }
                let documents = try files.map { Array(try Files.read($0, what: "envelope")) }
                let prepared: PreparedStatements
                do { prepared = try Ledger.prepare(submissions: documents) } catch LedgerError.invalidStatement(
                    let index, let error)
                {
                    throw CommandFailure(CommandFailure.inputRefused, "\(files[index]): \(error.reason)")
                }
                let range =
                    switch target {
                    case .local(let options): try await options.open().append(prepared: prepared)
                    case .remote(let remote): try await remote.submit(documents)
                    }
                for seq in range { Output.line(String(seq)) }
            }
        }

        /// JSON Lines through a server: each batch checked here, then one request, durable before the next.
        private func submitLines(to remote: RemoteLedger) async throws {
            for file in files {
                for batch in LineBatches(reader: try LineReader(path: file), size: batch) {
                    do { _ = try Ledger.prepare(submissions: batch.lines) } catch LedgerError.invalidStatement(
                        let index, let error)
                    {
                        throw CommandFailure(
                            CommandFailure.inputRefused, "\(file) line \(batch.lineNumbers[index]): \(error.reason)")
                    }
                    for seq in try await remote.submit(batch.lines) { Output.line(String(seq)) }
                }
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
            abstract: "Write a record's exact stored bytes to standard output.",
            discussion: """
                Through a server (--server, --remote), only once its inclusion proof is checked against a \
                checkpoint this client accepts. Specs/22-client.md.
                """)

        @OptionGroup var target: TargetOptions

        @OptionGroup var reader: ReaderOptions

        @Argument(help: ArgumentHelp("The record's sequence number.", valueName: "seq"))
        var seq: Int64

        func run() async throws {
            try await reportingFailures {
                switch try target.target(reader: try reader.load()) {
                case .local(let options): Output.raw(try await options.open().entry(seq))
                case .remote(let remote): Output.raw(try await remote.provedRecord(seq).record)
                }
            }
        }
    }
}
