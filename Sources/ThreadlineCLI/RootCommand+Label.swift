import ArgumentParser
import Foundation
import GS1Identifiers
import ThreadlineLabel

extension RootCommand {
    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the QR code (SVG) a brand puts on a product's label.",
            discussion: """
                The QR code holds the product's GS1 Digital Link on --domain, the resolver a phone opens \
                (`threadline serve` answers it with the consumer page). CODE is a Digital Link, an EPC URN or a \
                GTIN, as for `code parse`; its lot, serial and query attributes (an expiry date, say) are kept. The code is drawn by libqrencode in 8-bit \
                mode at the smallest version that holds it, with the 4-module quiet zone; each module is \
                --module-size long (0.5 mm by default). Specs/18-label.md.
                """)

        @Argument(help: ArgumentHelp("The product's code.", valueName: "code"))
        var code: String

        @Option(
            help: ArgumentHelp(
                "The resolver's base URL (default: the input link's, else https://id.gs1.org).", valueName: "url"))
        var domain: String?

        @Option(help: ArgumentHelp("Error correction: L, M (default), Q or H.", valueName: "level"))
        var level: String = "M"

        @Option(help: ArgumentHelp("Length of one module.", valueName: "length"))
        var moduleSize: Double = 0.5

        @Option(help: ArgumentHelp("Unit of the module size: mm, px, in.", valueName: "unit"))
        var unit: String = "mm"

        @Option(
            help: ArgumentHelp("Write the SVG to this file (replaced atomically) instead of stdout.", valueName: "file")
        )
        var out: String?

        @Flag(help: "Print JSON: the link, the symbol's version and width, and the SVG.")
        var json = false

        func validate() throws {
            guard QRErrorCorrection(rawValue: level.uppercased()) != nil else {
                throw ValidationError("--level must be L, M, Q or H, not '\(level)'.")
            }
            guard moduleSize > 0, moduleSize.isFinite else { throw ValidationError("--module-size must be positive.") }
            guard ["mm", "px", "in"].contains(unit) else { throw ValidationError("--unit must be mm, px or in.") }
        }

        func run() async throws {
            try await reportingFailures {
                let identifier = try GS1Identifier(parsing: code)
                let input = code.hasPrefix("http") ? try? DigitalLink(code) : nil
                let link = DigitalLink(
                    identifier, base: domain ?? input?.base ?? DigitalLink.defaultBase,
                    attributes: input?.attributes ?? []
                ).uri
                let correction = QRErrorCorrection(rawValue: level.uppercased()) ?? .medium
                let symbol: QRSymbol
                do throws(QREncodingError) {
                    symbol = try QRSymbol(encoding: link, correction: correction)
                } catch {
                    let code = error == .unavailable ? CommandFailure.ledgerUnavailable : CommandFailure.inputRefused
                    throw CommandFailure(code, error.description)
                }
                let svg = symbol.svg(moduleSize: moduleSize, unit: unit, title: link)
                if let out {
                    try Data(svg.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                }
                if json {
                    try Output.json(
                        LabelReport(
                            link: link, errorCorrection: correction.rawValue, version: symbol.version,
                            modules: symbol.width, svg: out == nil ? svg : nil, out: out))
                } else if let out {
                    Output.note(
                        "wrote \(out): \(link), QR version \(symbol.version), \(symbol.width)×\(symbol.width) modules")
                } else {
                    Output.raw(Data(svg.utf8))
                }
            }
        }
    }
}

/// `label --json` (`Specs/18-label.md`).
struct LabelReport: Encodable {
    var link: String
    var errorCorrection: String
    var version: Int
    var modules: Int
    var svg: String?
    var out: String?
}
