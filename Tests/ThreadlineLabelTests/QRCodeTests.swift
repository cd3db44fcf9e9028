import Foundation
import Testing

@testable import ThreadlineLabel

/// `Specs/vectors/qr.json`: the same links encoded by python-qrcode, an encoder independent of libqrencode, under each
/// of the eight masks.
struct QRCodeTests {
    struct Vectors: Decodable {
        struct Vector: Decodable {
            let link: String
            let errorCorrection: String
            let version: Int
            let masks: [String: [String]]
        }
        let vectors: [Vector]
    }

    static let vectors: [Vectors.Vector] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try? Data(contentsOf: root.appendingPathComponent("Specs/vectors/qr.json"))
        return (data.flatMap { try? JSONDecoder().decode(Vectors.self, from: $0) })?.vectors ?? []
    }()

    static func symbol(rows: [String], version: Int) -> QRSymbol {
        QRSymbol(version: version, width: rows.count, modules: rows.flatMap { $0.map { $0 == "1" } })
    }

    /// The error-correction level and mask from a symbol's format information (ISO/IEC 18004 §7.9): the copy
    /// beside the top-left finder, read from row 8 (columns 0…8, skipping the timing column) up column 8.
    static func formatInformation(_ symbol: QRSymbol) -> (level: String, mask: Int) {
        var bits = 0
        let cells =
            [(8, 0), (8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 7), (8, 8), (7, 8)]
            + [(5, 8), (4, 8), (3, 8), (2, 8), (1, 8), (0, 8)]
        for (row, column) in cells { bits = bits << 1 | (symbol[row, column] ? 1 : 0) }
        let data = (bits ^ 0x5412) >> 10
        return (["M", "L", "H", "Q"][data >> 3], data & 7)
    }

    @Test func theVectorsAreThere() {
        #expect(Self.vectors.count == 3)
        for vector in Self.vectors { #expect(vector.masks.count == 8) }
    }

    @Test func theFormatReaderReadsEveryMaskOfTheIndependentEncoder() {
        for vector in Self.vectors {
            for (mask, rows) in vector.masks {
                let read = Self.formatInformation(Self.symbol(rows: rows, version: vector.version))
                #expect(read.level == vector.errorCorrection)
                #expect(read.mask == Int(mask))
            }
        }
    }

    @Test(arguments: 0..<3)
    func libqrencodeMakesTheSymbolAnIndependentEncoderMakes(_ index: Int) throws {
        let vector = try #require(Self.vectors.dropFirst(index).first)
        let correction = try #require(QRErrorCorrection(rawValue: vector.errorCorrection))
        guard QRSymbol.encoderAvailable else {
            // A build without libqrencode says so, and how to get it.
            #expect(throws: QREncodingError.unavailable) { try QRSymbol(encoding: vector.link, correction: correction) }
            #expect(QREncodingError.unavailable.description.contains("libqrencode-dev"))
            return
        }
        let symbol = try QRSymbol(encoding: vector.link, correction: correction)
        #expect(symbol.version == vector.version)
        #expect(symbol.width == 17 + 4 * vector.version)
        let format = Self.formatInformation(symbol)
        #expect(format.level == vector.errorCorrection)
        let expected = try #require(vector.masks[String(format.mask)])
        let rows = (0..<symbol.width).map { row in
            String((0..<symbol.width).map { symbol[row, $0] ? "1" : "0" })
        }
        #expect(rows == expected)
    }

    @Test func textBeyondTheLargestSymbolIsRefused() throws {
        let text = String(repeating: "x", count: 3000)
        guard QRSymbol.encoderAvailable else {
            #expect(throws: QREncodingError.unavailable) { try QRSymbol(encoding: text, correction: .high) }
            return
        }
        #expect(throws: QREncodingError.tooLong(bytes: 3000)) { try QRSymbol(encoding: text, correction: .high) }
        // Version 40-L holds 2,953 bytes.
        #expect(try QRSymbol(encoding: String(text.prefix(2953)), correction: .low).version == 40)
    }

    @Test func theSVGDrawsExactlyTheDarkModulesInsideAQuietZone() throws {
        let vector = try #require(Self.vectors.last)
        let symbol = Self.symbol(rows: try #require(vector.masks["3"]), version: vector.version)
        let svg = symbol.svg(moduleSize: 0.5, unit: "mm", title: "a <b> & \"c\"")
        let side = symbol.width + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("width=\"\(Double(side) / 2)mm\" height=\"\(Double(side) / 2)mm\""))
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"))
        // Read the runs back: "M<x> <y>h<n>v1h-<n>z".
        let path = try #require(svg.split(separator: "d=\"").last?.split(separator: "\"").first)
        var dark = Set<Int>()
        for run in path.split(separator: "z") {
            let numbers = run.dropFirst().split(whereSeparator: { " hv".contains($0) }).compactMap { Int($0) }
            try #require(numbers.count == 5)
            let (x, y, length) = (numbers[0], numbers[1], numbers[2])
            #expect(length > 0 && numbers[3] == 1 && numbers[4] == -length)
            for column in x..<(x + length) { dark.insert(y * side + column) }
        }
        var expected = Set<Int>()
        for row in 0..<symbol.width {
            for column in 0..<symbol.width where symbol[row, column] { expected.insert((row + 4) * side + column + 4) }
        }
        #expect(dark == expected)
    }
}
