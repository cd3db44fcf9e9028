import Foundation

/// Looking for a secret in what a reader is given, whatever its encoding.
public enum Encodings {
    /// Whether `needle` is in `bytes`: as it is, or inside any base64 or base64url text, however deeply nested
    /// (a record's base64 holding an envelope whose payload's base64 holds a disclosure's base64url …).
    public static func contain(_ needle: String, in bytes: [UInt8], depth: Int = 0) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains(needle) { return true }
        guard depth < 6 else { return false }
        let tokens = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || "+/=_-".contains($0)) }).filter {
            $0.count >= 8
        }
        for token in tokens {
            let bare = String(token).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                .trimmingCharacters(in: ["="])
            let padded = bare + String(repeating: "=", count: (4 - bare.count % 4) % 4)
            if let decoded = Data(base64Encoded: padded), contain(needle, in: Array(decoded), depth: depth + 1) {
                return true
            }
        }
        return false
    }
}
