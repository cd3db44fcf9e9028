#if canImport(CQREncode)
    import CQREncode
    import Foundation
#endif

/// A QR code symbol: a square of dark and light modules, row by row (ISO/IEC 18004), without its quiet zone.
public struct QRSymbol: Sendable, Equatable {
    /// The symbol version, 1…40.
    public let version: Int
    /// Modules per side: 17 + 4 × version.
    public let width: Int
    /// `width × width` modules, row-major; `true` is dark.
    public let modules: [Bool]

    public init(version: Int, width: Int, modules: [Bool]) {
        precondition(modules.count == width * width, "a symbol has width × width modules")
        self.version = version
        self.width = width
        self.modules = modules
    }

    public subscript(row: Int, column: Int) -> Bool { modules[row * width + column] }
}

/// How much of a damaged symbol can be read back (ISO/IEC 18004 error correction levels).
public enum QRErrorCorrection: String, CaseIterable, Sendable {
    /// About 7 % of the codewords can be restored.
    case low = "L"
    /// About 15 %.
    case medium = "M"
    /// About 25 %.
    case quartile = "Q"
    /// About 30 %.
    case high = "H"
}

/// Why a text could not be made into a QR code.
public enum QREncodingError: Error, Equatable, CustomStringConvertible {
    /// This build was made without libqrencode.
    case unavailable
    /// The text does not fit in a version-40 symbol at this error-correction level.
    case tooLong(bytes: Int)
    /// libqrencode failed for another reason (the C `errno`).
    case failed(errno: Int32)

    public var description: String {
        switch self {
        case .unavailable:
            "this build of threadline has no QR encoder: install libqrencode (Debian: apt-get install "
                + "libqrencode-dev), then rebuild (swift package purge-cache && touch Package.swift && swift build)"
        case .tooLong(let bytes): "\(bytes) bytes do not fit in a QR code at this error-correction level"
        case .failed(let errno): "libqrencode failed (errno \(errno))"
        }
    }
}

extension QRSymbol {
    /// Whether this build can encode (it was built with libqrencode).
    public static var encoderAvailable: Bool {
        #if canImport(CQREncode)
            true
        #else
            false
        #endif
    }

    /// Encodes `text` as bytes (8-bit mode, case kept) in the smallest symbol that holds it, by libqrencode.
    public init(encoding text: String, correction: QRErrorCorrection = .medium) throws(QREncodingError) {
        #if canImport(CQREncode)
            let level: QRecLevel =
                switch correction {
                case .low: QR_ECLEVEL_L
                case .medium: QR_ECLEVEL_M
                case .quartile: QR_ECLEVEL_Q
                case .high: QR_ECLEVEL_H
                }
            // Whole-string 8-bit mode: a Digital Link is case-sensitive, and may hold bytes QR's other modes lack.
            guard let code = QRcode_encodeString8bit(text, 0, level) else {
                let error = errno
                throw error == ERANGE ? .tooLong(bytes: text.utf8.count) : .failed(errno: error)
            }
            defer { QRcode_free(code) }
            let width = Int(code.pointee.width)
            // Bit 0 of each byte is the module's colour (1 dark); the other bits describe the module's role.
            let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
            self.init(version: Int(code.pointee.version), width: width, modules: data.map { $0 & 1 == 1 })
        #else
            throw .unavailable
        #endif
    }

    /// The symbol as a standalone SVG image: one path of dark runs, with the 4-module quiet zone the
    /// standard requires, each module `moduleSize` long in `unit` (`mm` for print, `px` for screens).
    public func svg(moduleSize: Double = 0.5, unit: String = "mm", title: String? = nil) -> String {
        let quiet = 4
        let side = width + 2 * quiet
        var path = ""
        for row in 0..<width {
            var column = 0
            while column < width {
                guard self[row, column] else {
                    column += 1
                    continue
                }
                let start = column
                while column < width && self[row, column] { column += 1 }
                path += "M\(start + quiet) \(row + quiet)h\(column - start)v1h-\(column - start)z"
            }
        }
        let length = Self.format(Double(side) * moduleSize) + unit
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(length)" height="\(length)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
            """
        if let title { svg += "<title>\(Self.escapeXML(title))</title>" }
        svg += """
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>

            """
        return svg
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func escapeXML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
