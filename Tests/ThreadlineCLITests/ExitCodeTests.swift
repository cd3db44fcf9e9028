import Foundation
import Testing
import ThreadlineCLI

/// The exit-code table exists once, in code; the help text, the README and the CLI spec quote it.
struct ExitCodeTests {
    @Test func theHelpTheReadmeAndTheSpecQuoteTheOneTable() throws {
        let help = try CLI.run(["--help"], in: try CLI.folder())
        #expect(help.status == 0)
        // The help wraps lines; compare words.
        let words = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(words(help.output).contains(ExitCodes.summary), "\(help.output)")
        let readme = try String(contentsOf: CLI.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(words(readme).contains(ExitCodes.summary))
        let spec = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Specs/05-cli.md"), encoding: .utf8)
        let rows = spec.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true }
        #expect(
            rows.map { $0.split(separator: "|").prefix(2).map { $0.trimmingCharacters(in: .whitespaces) } }
                == ExitCodes.table.map { ["\($0.code)", $0.meaning] })
    }
}
