import ArgumentParser
import Foundation
import LedgerRules
import Threadline
import TransparencyLog

extension RootCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the integrity rules over the ledger's events, or over one product's journey.",
            discussion: """
                Rules (Specs/12-integrity.md): custody continuity (RECEIPT_WITHOUT_SHIPMENT, SHIPPED_NOT_HELD), \
                stage order (SALE_BEFORE_COMMISSIONING, EVENT_AFTER_END), MASS_BALANCE_EXCEEDED, \
                COMMISSIONED_TWICE, CLONE_SUSPECTED, RECALLED, STOLEN, DESTROYED, CERTIFICATION_UNSUPPORTED. \
                Prints one finding per line; exit 0 when there is none, 1 when there are findings.
                """)

        @OptionGroup var options: LedgerOptions

        @Argument(help: ArgumentHelp("Only this product's journey (Digital Link or EPC URN).", valueName: "code"))
        var code: String?

        @Flag(help: "Print JSON: {checked, findings: [{code, identifier, records, message}]}.")
        var json = false

        struct Report: Encodable {
            let checked: Int
            let findings: [IntegrityRules.Finding]
        }

        func run() async throws {
            try await reportingFailures {
                let ledger = try await options.open()
                let (checked, findings): (Int, [IntegrityRules.Finding])
                if let code {
                    let assessment = try await ledger.assess(code)
                    (checked, findings) = (assessment.journey.steps.count, assessment.integrity)
                } else {
                    (checked, findings) = try await ledger.checkIntegrity()
                }
                if json {
                    try Output.json(Report(checked: checked, findings: findings))
                } else {
                    for finding in findings { Output.line(finding.description) }
                    Output.line(
                        findings.isEmpty
                            ? "ok: \(checked) events meet every integrity rule"
                            : "\(findings.count) findings in \(checked) events")
                }
                if !findings.isEmpty { throw ExitCode(CommandFailure.verificationFailed) }
            }
        }
    }
}
