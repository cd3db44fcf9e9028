/// A C2SP tlog-checkpoint body: origin, tree size, root hash, optional extension lines.
public struct Checkpoint: Sendable, Equatable {
    /// The log's unique origin line.
    public let origin: String
    /// The number of leaves.
    public let size: Int64
    /// The RFC 9162 tree hash at `size`.
    public let root: Hash
    /// Extension lines, opaque, without their newlines.
    public let extensions: [String]

    /// Creates a checkpoint body.
    public init(origin: String, size: Int64, root: Hash, extensions: [String] = []) throws {
        guard !origin.isEmpty, !origin.contains("\n"), origin.utf8.allSatisfy({ $0 >= 0x20 }) else {
            throw LogError(.checkpointOrigin, "the origin must be one non-empty line without control characters")
        }
        guard size >= 0 else { throw LogError(.checkpointSize, "the tree size must not be negative") }
        guard extensions.allSatisfy({ !$0.isEmpty && !$0.contains("\n") }) else {
            throw LogError(.checkpointExtension, "extension lines must be non-empty single lines")
        }
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` and any extension lines.
    public var text: String {
        "\(origin)\n\(size)\n\(root.base64)\n" + extensions.map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint from a note's text (tlog-checkpoint §Note text).
    public init(text: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), lines.count >= 4 else {
            throw LogError(.checkpointLines, "a checkpoint has at least three newline-terminated lines")
        }
        lines.removeLast()
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            sizeText == "0" || !sizeText.hasPrefix("0"), let size = Int64(sizeText)
        else { throw LogError(.checkpointSize, "tree size '\(sizeText)' is not a decimal without leading zeros") }
        guard let root = Hash(base64: lines[2]), Hash(base64: lines[2])?.base64 == String(lines[2]) else {
            throw LogError(.checkpointRoot, "root hash '\(lines[2])' is not base64 of 32 bytes")
        }
        try self.init(origin: String(lines[0]), size: size, root: root, extensions: lines[3...].map(String.init))
    }
}
