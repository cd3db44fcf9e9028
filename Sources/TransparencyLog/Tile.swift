/// A tile of the C2SP tlog-tiles layout: up to 256 consecutive hashes at tree level `8·level`,
/// or, for `isEntries`, the entry bundle of up to 256 consecutive log entries.
public struct Tile: Hashable, Sendable, CustomStringConvertible {
    /// Tile height: each tile spans 8 tree levels (tlog-tiles §Merkle Tree).
    public static let height = 8
    /// Hashes (or entries) in a full tile: 2^height.
    public static let width = 256

    /// The tile level (`L` in `tile/<L>/<N>`); ignored for entry bundles.
    public let level: Int
    /// The tile index (`N`).
    public let index: Int64
    /// How many hashes or entries the tile holds, 1…256; less than 256 only for the right edge.
    public let width: Int
    /// Whether this is an entry bundle (`tile/entries/<N>`) rather than a hash tile.
    public let isEntries: Bool

    /// The highest level a tree of at most `Int64.max` leaves has tiles at: a hash at level 7 spans 2^56 leaves.
    public static let maxLevel = 7

    /// Creates a tile; returns nil for a width outside 1…256, a level outside 0…`maxLevel`, a negative index, or a
    /// tile whose last hash or entry would lie past the largest tree `Int64` can count (so that no arithmetic on a
    /// tile — its entry range, its stored hashes, the tree size it needs — can overflow).
    public init?(level: Int, index: Int64, width: Int, isEntries: Bool = false) {
        let level = isEntries ? 0 : level
        guard (0...Tile.maxLevel).contains(level), index >= 0, (1...Tile.width).contains(width) else { return nil }
        // The leaves the tile's last hash ends at: (index · 256 + width) · 256^level.
        let (first, overflow) = index.multipliedReportingOverflow(by: Int64(Tile.width))
        guard !overflow, first <= (Int64.max >> (Tile.height * level)) - Int64(width) else { return nil }
        self.level = level
        self.index = index
        self.width = width
        self.isEntries = isEntries
    }

    /// Whether the tile is full (and so immutable).
    public var isFull: Bool { width == Tile.width }

    /// The tile's path, e.g. `tile/0/x001/234`, `tile/2/005.p/17`, `tile/entries/000`.
    public var path: String {
        let head = isEntries ? "tile/entries/" : "tile/\(level)/"
        let tail = isFull ? "" : ".p/\(width)"
        return head + Tile.encode(index) + tail
    }

    public var description: String { path }

    /// The tlog-tiles index encoding: 3-digit groups, every group but the last prefixed with `x`.
    static func encode(_ index: Int64) -> String {
        var groups: [String] = []
        var n = index
        repeat {
            let group = String(n % 1000)
            groups.append(String(repeating: "0", count: 3 - group.count) + group)
            n /= 1000
        } while n > 0
        // The loop above runs at least once: there is always a last group.
        let ordered = groups.reversed()
        return ordered.dropLast().map { "x" + $0 }.joined(separator: "/")
            + (ordered.count > 1 ? "/" : "") + ordered.last!
    }

    /// Parses a tile path (`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`).
    public init(path: String) throws {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "tile" else {
            throw LogError(.tilePath, "'\(path)' is not a tile path (tile/<L>/<N>[.p/<W>])")
        }
        var width = Tile.width
        if parts.count >= 4, parts[parts.count - 2].hasSuffix(".p") {
            guard let w = Tile.decimal(parts.removeLast()), (1..<Int64(Tile.width)).contains(w) else {
                throw LogError(.tileWidth, "'\(path)' has a bad partial width (1…255)")
            }
            parts[parts.count - 1].removeLast(2)
            width = Int(w)
        }
        let isEntries = parts[1] == "entries"
        guard let level = isEntries ? 0 : Tile.decimal(parts[1]), level <= Tile.maxLevel else {
            throw LogError(.tileLevel, "'\(path)' has a bad level (0…\(Tile.maxLevel))")
        }
        var index: Int64 = 0
        let groups = parts[2...]
        for (i, group) in groups.enumerated() {
            let isLast = i == groups.count - 1
            let digits = isLast ? Substring(group) : group.hasPrefix("x") ? group.dropFirst() : ""
            guard digits.count == 3, let value = Tile.decimal(String(digits)) else {
                throw LogError(.tileIndex, "'\(path)' has a bad index element '\(group)'")
            }
            let (scaled, overflow) = index.multipliedReportingOverflow(by: 1000)
            let (sum, carry) = scaled.addingReportingOverflow(value)
            guard !overflow, !carry else { throw LogError(.tileIndex, "'\(path)' has an index out of range") }
            index = sum
        }
        guard let tile = Tile(level: Int(level), index: index, width: width, isEntries: isEntries) else {
            throw LogError(.tileIndex, "'\(path)' lies past the largest tree a log can hold (2^63 − 1 leaves)")
        }
        self = tile
        guard self.path == path else {
            throw LogError(.tilePath, "'\(path)' is not in canonical form (expected '\(self.path)')")
        }
    }

    /// A decimal of at most 18 digits (anything longer is out of every range here; `Int64` holds 18 digits).
    private static func decimal(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int64(text)
    }

    /// Every hash tile of a tree of `size` leaves, level by level, full tiles then the partial one.
    public static func hashTiles(treeSize size: Int64) -> [Tile] {
        var tiles: [Tile] = []
        var level = 0
        var count = size
        while count > 0 {
            tiles += row(count: count) { Tile(level: level, index: $0, width: $1)! }
            level += 1
            count >>= Tile.height
        }
        return tiles
    }

    /// Every entry bundle of a log of `size` entries.
    public static func entryBundles(treeSize size: Int64) -> [Tile] {
        row(count: size) { Tile(level: 0, index: $0, width: $1, isEntries: true)! }
    }

    private static func row(count: Int64, _ make: (Int64, Int) -> Tile) -> [Tile] {
        let full = count / Int64(Tile.width)
        let rest = Int(count % Int64(Tile.width))
        return (0..<full).map { make($0, Tile.width) } + (rest > 0 ? [make(full, rest)] : [])
    }

    /// The range of log entries an entry bundle holds.
    public var entryRange: Range<Int64> {
        let first = index * Int64(Tile.width)
        return first..<first + Int64(width)
    }
}
