import EPCIS
import Foundation
import GS1Identifiers
import HTTPSignatures
import LedgerRules
import Participants
import Statements
import Testing
import Threadline
import ThreadlineDemo
import ThreadlineServer
import TransparencyLog

/// Every module's error codes are typed, each names the Specs section of its rule, and Specs/19-errors.md lists
/// exactly them.
struct ErrorCodeTests {
    /// (code, error type, section) for each case of `codes`.
    static func rows<Code: ErrorCode>(_ codes: Code.Type, _ errorType: String) -> [[String]] {
        Code.allCases.map { [$0.rawValue, errorType, $0.section] }
    }

    static let inCode: [[String]] =
        rows(LogCode.self, "LogError") + rows(SignatureCode.self, "SignatureError") + rows(GS1Code.self, "GS1Error")
        + rows(EPCISCode.self, "EPCISError")
        + rows(StatementCode.self, "StatementError") + rows(RegistryCode.self, "RegistryError")
        + rows(RuleCode.self, "RuleError") + rows(EngineCode.self, "EngineError")
        + rows(ServerCode.self, "ServerError") + rows(DemoCode.self, "DemoError")

    static func spec(_ page: String) throws -> String {
        try String(contentsOf: CLI.packageRoot.appendingPathComponent("Specs/\(page)"), encoding: .utf8)
    }

    @Test func theSpecListsEveryCodeWithItsTypeAndSection() throws {
        // | `code` | `Type` | Module | [02 §8](02-transparency-log.md) |
        let listed = try Self.spec("19-errors.md").split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let link = cells[3]
            let section = link[link.index(after: link.firstIndex(of: " ")!)..<link.firstIndex(of: "]")!]
            let page = link[link.index(after: link.firstIndex(of: "(")!)..<link.firstIndex(of: ")")!]
            return [
                cells[0].trimmingCharacters(in: ["`"]), cells[1].trimmingCharacters(in: ["`"]), "\(page) \(section)",
            ]
        }
        #expect(
            listed.sorted { $0.lexicographicallyPrecedes($1) }
                == Self.inCode.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func everySectionACodeNamesExists() throws {
        for section in Set(Self.inCode.map { $0[2] }) {
            let parts = section.split(separator: " §", maxSplits: 1).map(String.init)
            let headings = try Self.spec(parts[0]).split(separator: "\n").filter { $0.hasPrefix("##") }.map {
                $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            }
            // "§3" is the heading "3. …" (or "3.1 …"); "§Routes" is the heading "Routes".
            let found = headings.contains {
                $0 == parts[1] || $0.hasPrefix(parts[1] + ". ") || $0.hasPrefix(parts[1] + " ")
            }
            #expect(found, "\(section)")
        }
    }

    @Test func errorsCompareByTypedCodeWhateverModuleMadeThem() {
        let error: any CodedError = RuleError(.recordSigner, "no")
        #expect(error.matches(RuleCode.recordSigner))
        #expect(!error.matches(RuleCode.recordRole))
        #expect(!error.matches(StatementCode.recordSize))
        #expect(error.saying("statement 3: no").codeName == "record.signer")
    }
}
