import ArgumentParser
import Crypto
import Foundation
import Statements
import Threadline
import TransparencyLog

extension RootCommand {
    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Anchor the latest checkpoint in time with an RFC 3161 time-stamp authority.",
            discussion: """
                'request' writes a time-stamp request (DER, SHA-256 of the checkpoint's text, a fresh nonce) for \
                any TSA (e.g. 'openssl ts -reply', or an HTTP TSA with Content-Type application/timestamp-query). \
                'store' checks the TSA's reply — status, imprint, nonce, the CMS signature and the TSA \
                certificate's chain to --tsa-root with the timeStamping purpose — and records it as an anchor \
                signed by the operator. Specs/16-anchors.md.
                """,
            subcommands: [Request.self, Store.self])

        struct Request: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a time-stamp request for the latest checkpoint.")

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("The request file to write (.tsq).", valueName: "file"))
            var out: String

            func run() async throws {
                try await reportingFailures {
                    let ledger = try await options.open()
                    let note = try await ledger.checkpoint()
                    let body = try Checkpoint(text: note.text)
                    let request = TimeStamp.Request(
                        imprint: Array(SHA256.hash(data: Array(note.text.utf8))), nonce: Int64.random(in: 1...Int64.max)
                    )
                    try Data(request.der).write(to: URL(fileURLWithPath: out))
                    Output.line("wrote \(out): a time-stamp request for the checkpoint of size \(body.size)")
                }
            }
        }

        struct Store: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Verify a TSA's reply and record it as an anchor; print its record number.")

            @OptionGroup var options: LedgerOptions

            @Option(help: ArgumentHelp("The request that was sent (.tsq).", valueName: "file"))
            var request: String

            @Option(help: ArgumentHelp("The TSA's reply (.tsr).", valueName: "file"))
            var reply: String

            @Option(
                name: .customLong("tsa-root"),
                help: ArgumentHelp("The trusted root certificate(s), PEM.", valueName: "file"))
            var root: String

            func run() async throws {
                try await reportingFailures {
                    let sent = try TimeStamp.Request(der: Array(try Files.read(request, what: "request")))
                    let token = try TimeStamp.parse(
                        token: try TimeStamp.token(fromResponse: Array(try Files.read(reply, what: "reply"))),
                        imprint: sent.imprint, nonce: sent.nonce)
                    try await TimeStamp.verifyChain(
                        token,
                        roots: try TimeStamp.certificates(pem: try Files.readText(root, what: "root certificate")))
                    let ledger = try await options.open(needsOperatorKey: true)
                    guard let operatorKey = try options.loadOperatorKey() else { throw LedgerError.noOperatorKey }
                    guard let anchored = try await ledger.storedCheckpoint(imprint: sent.imprint) else {
                        throw CommandFailure(
                            CommandFailure.inputRefused, "the request is for no checkpoint of this ledger")
                    }
                    let envelope = try Envelope(
                        signing: Statement.anchorPayload(checkpoint: anchored.text, token: token.der),
                        type: Statement.anchorPayloadType, with: operatorKey)
                    let seq = try await ledger.append([envelope]).lowerBound
                    let size = try Checkpoint(text: anchored.text).size
                    Output.line(
                        "anchored the checkpoint of size \(size) at \(ISO8601DateFormatter().string(from: token.time)) by \(token.tsa): record \(seq)"
                    )
                }
            }
        }
    }

    struct Anchors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the ledger's time anchors; with --tsa-root, check each token's chain too.")

        @OptionGroup var options: LedgerOptions

        @Option(
            name: .customLong("tsa-root"), help: ArgumentHelp("Trusted root certificate(s), PEM.", valueName: "file"))
        var root: String?

        @Flag(help: "Print JSON.")
        var json = false

        struct Line: Encodable {
            let seq: Int64
            let size: Int64
            let time: String
            let tsa: String
            let verified: Bool
            let problem: String?
        }

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let roots = try root.map {
                    try TimeStamp.certificates(pem: try Files.readText($0, what: "root certificate"))
                }
                var lines: [Line] = []
                for anchor in try await ledger.anchors() {
                    let (seq, checkpoint, tokenBytes) = (anchor.seq, anchor.checkpoint, anchor.token)
                    let size = (try? Checkpoint(text: checkpoint).size) ?? -1
                    do {
                        let token = try TimeStamp.parse(
                            token: tokenBytes, imprint: Array(SHA256.hash(data: Array(checkpoint.utf8))), nonce: nil)
                        if let roots { try await TimeStamp.verifyChain(token, roots: roots) }
                        lines.append(
                            Line(
                                seq: seq, size: size, time: ISO8601DateFormatter().string(from: token.time),
                                tsa: token.tsa,
                                verified: true, problem: nil))
                    } catch {
                        lines.append(
                            Line(seq: seq, size: size, time: "-", tsa: "-", verified: false, problem: "\(error)"))
                    }
                }
                if json { return try Output.json(lines) }
                for line in lines {
                    Output.line(
                        "record \(line.seq)  checkpoint \(line.size)  \(line.time)  \(line.tsa)  "
                            + (line.verified
                                ? (roots == nil ? "signature ok" : "verified to the root")
                                : "FAIL: \(line.problem ?? "")"))
                }
                if lines.contains(where: { !$0.verified }) { throw ExitCode(CommandFailure.verificationFailed) }
            }
        }
    }
}
