import EPCIS
import GS1Identifiers
import Participants
/// An e-commerce listing checked against the ledger (`Specs/13-listings.md`): is the product genuine, and may
/// this seller sell it? Pure: it reads the product's journey, the integrity findings over it and the registry.
public enum ListingCheck {
    /// The answer.
    public enum Verdict: String, Sendable, Codable {
        case genuine = "GENUINE"
        case suspect = "SUSPECT"
        case unknown = "UNKNOWN"
    }

    /// Why a listing is suspect or unknown.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        case unknownProduct = "UNKNOWN_PRODUCT"
        case sellerNotAuthorised = "SELLER_NOT_AUTHORISED"
        case sellerNotCustodian = "SELLER_NOT_CUSTODIAN"
        case alreadySold = "ALREADY_SOLD"
        case recalled = "RECALLED"
        case cloneSuspected = "CLONE_SUSPECTED"
        case verifiedMoreThanOnce = "VERIFIED_MORE_THAN_ONCE"
        case massBalanceExceeded = "MASS_BALANCE_EXCEEDED"
        case claimNotSupported = "CLAIM_NOT_SUPPORTED"
    }

    /// A reason with the records that justify it and an explanation.
    public struct Finding: Sendable, Hashable, Codable {
        public let reason: Reason
        public let records: [Int64]
        public let message: String
    }

    /// The result for one listing.
    public struct Result: Sendable, Codable {
        public let code: String
        public let identifier: String
        public let seller: String
        /// The time the listing was judged at (RFC 3339, UTC, milliseconds): its sale's, or when it was checked.
        public let at: String
        public let verdict: Verdict
        public let findings: [Finding]
    }

    /// Checks that `seller` may sell the product of `journey` as described by `claims` (KEY=VALUE pairs), at
    /// `micros` (microseconds since the epoch: the sale's time, or now) — the time a brand's authorisation windows
    /// are read at.
    public static func check(
        journey: Journey, seller: String, claims: [(key: String, value: String)], integrity: [IntegrityRules.Finding],
        registry: Registry, at micros: Int64
    ) -> Result {
        func result(_ verdict: Verdict, _ findings: [Finding]) -> Result {
            Result(
                code: journey.code, identifier: journey.identifier, seller: seller,
                at: Timestamp.format(micros: micros) ?? "", verdict: verdict, findings: findings)
        }
        guard !journey.steps.isEmpty else {
            return result(
                .unknown, [Finding(reason: .unknownProduct, records: [], message: "no record of this product")])
        }
        let findings =
            sellerFindings(journey: journey, seller: seller, registry: registry, at: micros)
            + custodyFindings(journey: journey, seller: seller)
            + stateFindings(journey: journey, integrity: integrity)
            + claimFindings(journey: journey, claims: claims, integrity: integrity)
        return result(findings.isEmpty ? .genuine : .suspect, findings)
    }

    /// The seller: registered, and the brand's (or authorised by the brand owning the GTIN's prefix, at `micros`).
    static func sellerFindings(journey: Journey, seller: String, registry: Registry, at micros: Int64) -> [Finding] {
        guard let participant = registry.participants[seller], participant.revokedAt == nil else {
            return [
                Finding(
                    reason: .sellerNotAuthorised, records: [],
                    message: "'\(seller)' is not a registered participant (or was revoked)")
            ]
        }
        // A brand is found only from a GTIN.
        guard let gtin = DigitalLink.gtin(inCanonical: journey.identifier),
            let brand = registry.participants.values.first(where: { p in
                p.has(.brand) && p.companyPrefix(ofGTIN: gtin) != nil
            }), brand.id != participant.id
        else { return [] }
        let prefix = brand.companyPrefix(ofGTIN: gtin)
        let size = registry.size
        guard
            !registry.isAuthorized(
                channel: seller, brand: brand.id, companyPrefix: prefix, at: size, time: micros)
        else { return [] }
        // In force, but for another time: say when.
        let windows = registry.authorizations(of: brand.id, companyPrefix: prefix, at: size, time: nil)
            .filter { $0.channel == seller }.map(\.window.description)
        let message =
            windows.isEmpty
            ? "'\(brand.id)' has not authorised '\(seller)' to sell its products"
            : "'\(brand.id)' authorises '\(seller)' \(windows.joined(separator: "; ")), not at "
                + (Timestamp.format(micros: micros) ?? "that time")
        return [Finding(reason: .sellerNotAuthorised, records: [], message: message)]
    }

    /// Custody: who received (or made) it last, the product itself or a container holding it.
    static func custodyFindings(journey: Journey, seller: String) -> [Finding] {
        let custody = journey.steps.last { step in
            step.via == .product
                && (["receiving", "commissioning"].contains(step.event.bizStepTerm ?? "")
                    || step.event.kind == .transformation)
        }
        let containerCustody = journey.steps.last { step in
            if case .container = step.via { return step.event.bizStepTerm == "receiving" } else { return false }
        }
        let holder = [custody, containerCustody].compactMap { $0 }.max {
            $0.event.eventTime.micros < $1.event.eventTime.micros
        }
        guard let holder, holder.participant?.id != seller else { return [] }
        return [
            Finding(
                reason: .sellerNotCustodian, records: [holder.seq],
                message:
                    "the ledger shows '\(holder.participant?.id ?? "an unknown party")' holding it (record \(holder.seq))"
            )
        ]
    }

    /// Sold, recalled, cloned, over-produced.
    static func stateFindings(journey: Journey, integrity: [IntegrityRules.Finding]) -> [Finding] {
        var findings: [Finding] = []
        if let sale = journey.steps.first(where: {
            $0.via == .product
                && ($0.event.bizStepTerm == "retail_selling" || $0.event.dispositionTerm == "retail_sold")
        }) {
            findings.append(
                Finding(
                    reason: .alreadySold, records: [sale.seq],
                    message: "already sold by '\(sale.participant?.id ?? "?")' (record \(sale.seq))"))
        }
        for finding in integrity {
            let reason: Reason? =
                switch finding.code {
                case .recalled where finding.identifier == journey.identifier: .recalled
                case .cloneSuspected where finding.identifier == journey.identifier: .cloneSuspected
                case .verifiedMoreThanOnce where finding.identifier == journey.identifier: .verifiedMoreThanOnce
                case .massBalanceExceeded: .massBalanceExceeded
                default: nil
                }
            if let reason {
                findings.append(Finding(reason: reason, records: finding.records, message: finding.message))
            }
        }
        return findings
    }

    /// Each claim some record supports.
    static func claimFindings(
        journey: Journey, claims: [(key: String, value: String)], integrity: [IntegrityRules.Finding]
    ) -> [Finding] {
        let unsupported = Set(integrity.filter { $0.code == .certificationUnsupported }.compactMap(\.identifier))
        return claims.filter { supporting($0, journey: journey, unsupported: unsupported) == nil }.map { claim in
            Finding(
                reason: .claimNotSupported, records: [],
                message: "no record supports the claim \(claim.key)=\(claim.value)")
        }
    }

    /// The records that support a claim, or nil. `certification=X`: a certificate URI containing X (any case)
    /// that a certifier recorded; `brand=ID`: a step recorded by that brand; any other `KEY=VALUE`: a string
    /// instance/lot master data field named KEY (any prefix) containing VALUE (any case).
    static func supporting(
        _ claim: (key: String, value: String), journey: Journey, unsupported: Set<String>
    ) -> [Int64]? {
        let wanted = claim.value.lowercased()
        var records: [Int64] = []
        for step in journey.steps {
            switch claim.key {
            case "certification":
                if step.event.certificationInfo.contains(where: {
                    $0.lowercased().contains(wanted) && !unsupported.contains($0)
                }) {
                    records.append(step.seq)
                }
            case "brand":
                if step.participant?.id == claim.value && step.participant?.has(.brand) == true {
                    records.append(step.seq)
                }
            default:
                let matches = step.event.ilmd.contains { member in
                    let local = member.key.split(separator: ":").last.map(String.init) ?? member.key
                    return local == claim.key && (member.value.stringValue?.lowercased().contains(wanted) ?? false)
                }
                if matches { records.append(step.seq) }
            }
        }
        return records.isEmpty ? nil : records
    }
}
