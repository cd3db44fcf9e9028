import Crypto
import Foundation
import GS1Identifiers
import TransparencyLog

extension String {
    /// Whether the UTF-8 of `needle` occurs in this string's UTF-8 (a byte search, without Foundation). With
    /// `ignoringCase`, `needle` must be lowercase ASCII letters, and ASCII letters here match either case.
    func containsBytes(_ needle: String, ignoringCase: Bool = false) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard n.count <= h.count else { return false }
                if n.isEmpty { return true }
                if !ignoringCase {
                    // memchr finds each place the needle may start, memcmp checks it: far faster than a byte loop.
                    let end = h.baseAddress! + (h.count - n.count + 1)
                    var from = h.baseAddress!
                    while from < end, let hit = memchr(from, Int32(n[0]), end - from) {
                        let start = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
                        if memcmp(start, n.baseAddress!, n.count) == 0 { return true }
                        from = start + 1
                    }
                    return false
                }
                var i = 0
                while i <= h.count - n.count {
                    var j = 0
                    while j < n.count && h[i + j] | 0x20 == n[j] { j += 1 }
                    if j == n.count { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// Whether the UTF-8 of this string starts with that of `prefix` (a byte comparison, without Unicode rules).
    func hasPrefixBytes(_ prefix: String) -> Bool {
        var text = self
        var prefix = prefix
        return text.withUTF8 { t in
            prefix.withUTF8 { p in
                p.count <= t.count && (p.isEmpty || memcmp(t.baseAddress!, p.baseAddress!, p.count) == 0)
            }
        }
    }

    /// Whether the UTF-8 of this string ends with that of `suffix` (a byte comparison).
    func hasSuffixBytes(_ suffix: String) -> Bool {
        let count = utf8.count
        let suffixCount = suffix.utf8.count
        return count >= suffixCount
            && utf8[utf8.index(utf8.startIndex, offsetBy: count - suffixCount)...].elementsEqual(suffix.utf8)
    }

    func trimmingASCIIWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
        guard let first = utf8.first, let last = utf8.last else { return "" }
        if !isSpace(first) && !isSpace(last) { return self }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(Substring(utf8[start...end]))
    }
}
