import TransparencyLog

/// Why Statements refuses an input (DSSE envelopes, signing keys, ledger records and statement payloads): a case a
/// rule, grouped by the Specs section that defines it (`Specs/19-errors.md` lists them all).
public enum StatementCode: String, ErrorCode {
    // 03-statements.md §1
    case envelopeKeyid = "envelope.keyid", envelopePayloadType = "envelope.payloadType"
    case envelopeSignature = "envelope.signature", envelopeSignatures = "envelope.signatures"
    // 03-statements.md §2
    case envelopeJSON = "envelope.json", envelopePayload = "envelope.payload", envelopeSig = "envelope.sig"
    // 03-statements.md §3
    case envelopeCanonical = "envelope.canonical", recordHeader = "record.header", recordLines = "record.lines"
    case recordPrev = "record.prev", recordSeq = "record.seq", recordSize = "record.size", recordTime = "record.time"
    // 03-statements.md §6
    case keyName = "key.name", keySeed = "key.seed"
    // 05-cli.md §3
    case eventInvalid = "event.invalid", eventJSON = "event.json"
    // 09-participants.md §2
    case registryBasis = "registry.basis", registryJSON = "registry.json", registryRoles = "registry.roles"
    case registryType = "registry.type"
    // 09-participants.md §3
    case registryBrand = "registry.brand", registryChannel = "registry.channel"
    case registryCompanyPrefixes = "registry.companyPrefixes", registryID = "registry.id"
    case registryKey = "registry.key", registryKeys = "registry.keys", registryLocations = "registry.locations"
    case registryName = "registry.name", registryNewKey = "registry.newKey"
    case registryParticipant = "registry.participant", registryReason = "registry.reason"
    case registryRetiredKey = "registry.retiredKey", registryWithdrawn = "registry.withdrawn"
    case registryValidFrom = "registry.validFrom", registryValidUntil = "registry.validUntil"
    // 10-recording.md §1
    case anchorJSON = "anchor.json"
    // 23-sealed-events.md
    case sealedDisclosure = "sealed.disclosure", sealedPayload = "sealed.payload", sealedErased = "sealed.erased"
    case erasureJSON = "erasure.json", erasureField = "erasure.field"
    // 24-products.md §2
    case productJSON = "product.json", productGTIN = "product.gtin", productText = "product.text"
    case productImage = "product.image", productComposition = "product.composition"
    case productCountry = "product.country"
    // 24-products.md §7
    case commitmentJSON = "commitment.json", verificationJSON = "verification.json"

    public var section: String {
        switch self {
        case .envelopeKeyid, .envelopePayloadType, .envelopeSignature, .envelopeSignatures: "03-statements.md §1"
        case .envelopeJSON, .envelopePayload, .envelopeSig: "03-statements.md §2"
        case .envelopeCanonical, .recordHeader, .recordLines, .recordPrev, .recordSeq, .recordSize, .recordTime:
            "03-statements.md §3"
        case .keyName, .keySeed: "03-statements.md §6"
        case .eventInvalid, .eventJSON: "05-cli.md §3"
        case .registryBasis, .registryJSON, .registryRoles, .registryType: "09-participants.md §2"
        case .registryBrand, .registryChannel, .registryCompanyPrefixes, .registryID, .registryKey, .registryKeys,
            .registryLocations, .registryName, .registryNewKey, .registryParticipant, .registryReason,
            .registryRetiredKey, .registryWithdrawn, .registryValidFrom, .registryValidUntil:
            "09-participants.md §3"
        case .anchorJSON: "10-recording.md §1"
        case .sealedDisclosure: "23-sealed-events.md §1"
        case .sealedPayload: "23-sealed-events.md §2"
        case .sealedErased, .erasureJSON, .erasureField: "23-sealed-events.md §7"
        case .productJSON, .productGTIN, .productText, .productImage, .productComposition, .productCountry:
            "24-products.md §2"
        case .commitmentJSON, .verificationJSON: "24-products.md §7"
        }
    }
}

/// An input Statements refuses.
public typealias StatementError = InputError<StatementCode>
