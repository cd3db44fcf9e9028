/// Why TransparencyLog refuses an input (signed notes, checkpoints, keys, proofs, tiles and witness requests): a
/// case a rule, grouped by the Specs section that defines it (`Specs/19-errors.md` lists them all).
public enum LogCode: String, ErrorCode {
    // 02-transparency-log.md §6
    case noteBlank = "note.blank", noteControl = "note.control", noteNewline = "note.newline"
    case noteSignature = "note.signature", noteSignatureBase64 = "note.signature.base64"
    case noteSignatures = "note.signatures", noteText = "note.text"
    // 02-transparency-log.md §7
    case keyID = "key.id", keyMaterial = "key.material", keySyntax = "key.syntax", vkeyBase64 = "vkey.base64"
    case vkeyID = "vkey.id", vkeyKey = "vkey.key", vkeyName = "vkey.name", vkeySyntax = "vkey.syntax"
    case vkeyType = "vkey.type"
    // 02-transparency-log.md §8
    case checkpointExtension = "checkpoint.extension", checkpointLines = "checkpoint.lines"
    case checkpointOrigin = "checkpoint.origin", checkpointRoot = "checkpoint.root"
    case checkpointSize = "checkpoint.size"
    // 02-transparency-log.md §10
    case proofBlank = "proof.blank", proofExtra = "proof.extra", proofHash = "proof.hash"
    case proofHeader = "proof.header", proofIndex = "proof.index"
    // 02-transparency-log.md §11
    case tileIndex = "tile.index", tileLevel = "tile.level", tilePath = "tile.path", tileWidth = "tile.width"
    // 15-witness.md §1
    case witnessOld = "witness.old", witnessProof = "witness.proof", witnessRequest = "witness.request"

    public var section: String {
        switch self {
        case .noteBlank, .noteControl, .noteNewline, .noteSignature, .noteSignatureBase64, .noteSignatures, .noteText:
            "02-transparency-log.md §6"
        case .keyID, .keyMaterial, .keySyntax, .vkeyBase64, .vkeyID, .vkeyKey, .vkeyName, .vkeySyntax, .vkeyType:
            "02-transparency-log.md §7"
        case .checkpointExtension, .checkpointLines, .checkpointOrigin, .checkpointRoot, .checkpointSize:
            "02-transparency-log.md §8"
        case .proofBlank, .proofExtra, .proofHash, .proofHeader, .proofIndex: "02-transparency-log.md §10"
        case .tileIndex, .tileLevel, .tilePath, .tileWidth: "02-transparency-log.md §11"
        case .witnessOld, .witnessProof, .witnessRequest: "15-witness.md §1"
        }
    }
}

/// An input TransparencyLog refuses.
public typealias LogError = InputError<LogCode>
