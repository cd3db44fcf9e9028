import ArgumentParser
import Foundation
import Provenance
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
                Every signature is checked first. Several files are appended as one batch: all of them, \
                in order, or — if any is refused — none.
                """)

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("DSSE envelope JSON files (- for standard input).", valueName: "envelope.json"))
        var files: [String]

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("Give at least one envelope file.") }
        }

        func run() async throws {
            try await reportingFailures {
                let envelopes = try files.map { file in
                    do { return try Envelope(json: try Files.read(file, what: "envelope")) } catch let error as FormatError {
                        throw CommandFailure(CommandFailure.inputRefused, "\(file): \(error.reason)")
                    }
                }
                let ledger = try await options.open()
                let range: Range<Int64>
                do { range = try await ledger.append(envelopes) } catch LedgerError.invalidStatement(let index, let error) {
                    throw CommandFailure(CommandFailure.inputRefused, "\(files[index]): \(error.reason)")
                }
                for seq in range { Output.line(String(seq)) }
            }
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
