import EPCIS
import GS1Identifiers
import Participants

/// Reads rows into events: every cell checked, each problem naming its row and column (`Specs/25-spreadsheets.md`
/// §2–3).
struct RowReader {
    let columns: [String: Int]
    let registry: Registry
    private var row: (line: Int, fields: [String]) = (0, [])

    init(columns: [String: Int], registry: Registry) {
        self.columns = columns
        self.registry = registry
    }

    // MARK: Cells

    private func problem(_ name: String?, _ code: String, _ message: String) -> SpreadsheetProblem {
        SpreadsheetProblem(
            row: row.line, column: name.flatMap { columns[$0] }.map { $0 + 1 }, name: name, code: code,
            message: message)
    }

    /// The cell of column `name`, if the row fills it.
    private func cell(_ name: String) -> String? {
        guard let i = columns[name], i < row.fields.count, !row.fields[i].isEmpty else { return nil }
        return row.fields[i]
    }

    private func required(_ name: String) throws(SpreadsheetProblem) -> String {
        guard let value = cell(name) else { throw problem(name, "required", "the row has no \(name)") }
        return value
    }

    /// `time`: a date and time with its zone, as the event's time and offset.
    private func time() throws(SpreadsheetProblem) -> (time: String, offset: String) {
        let text = try required("time")
        var bytes = Array(text.utf8)
        // 2026-09-01 08:30+08:00 → 2026-09-01T08:30:00+08:00
        if bytes.count > 10, bytes[10] == 0x20 { bytes[10] = UInt8(ascii: "T") }
        if let zone = bytes.lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == 0x5A }),
            zone > 10, bytes[zone - 1] == 0x20
        {
            bytes.remove(at: zone - 1)
        }
        if bytes.count >= 16, bytes.count == 16 || bytes[16] != UInt8(ascii: ":") {
            bytes.insert(contentsOf: Array(":00".utf8), at: 16)
        }
        let normal = String(decoding: bytes, as: UTF8.self)
        guard let parsed = Timestamp.parseDateTime(normal, requireZone: true), let minutes = parsed.offsetMinutes,
            abs(minutes) <= 14 * 60
        else {
            throw problem(
                "time", "time", "'\(text)' is not a date and time with its zone, such as 2026-09-01 08:30+08:00")
        }
        let sign = minutes < 0 ? "-" : "+"
        let offset = sign + pad(abs(minutes) / 60) + ":" + pad(abs(minutes) % 60)
        return (normal, offset)
    }

    private func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// A place column: a participant id or a GLN, as its location's and its party's Digital Link.
    private func place(_ name: String) throws(SpreadsheetProblem) -> (location: String, party: String)? {
        guard let text = cell(name) else { return nil }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            do { _ = try GS1Identifier.location(gln: text).validated() } catch {
                throw problem(name, "gln", "'\(text)' is not a GLN: \(error)")
            }
            return ("https://id.gs1.org/414/\(text)", "https://id.gs1.org/417/\(text)")
        }
        guard let participant = registry.participants[text], participant.revokedAt == nil else {
            throw problem(
                name, "participant", "'\(text)' is neither a registered participant's id nor a 13-digit GLN")
        }
        let places = participant.profile.places
        guard places.count == 1 else {
            throw problem(
                name, "participant",
                places.isEmpty
                    ? "\(text) has registered no place; give the GLN"
                    : "\(text) has \(places.count) places (\(places.map(\.gln).joined(separator: ", "))); give the GLN")
        }
        let location = places[0].gln
        // A participant as a party: the GLN of its first company prefix (the prefix, zeros, a check digit), else
        // its place's.
        var party = location
        if let prefix = participant.profile.companyPrefixes.first, prefix.count < 13 {
            let body = prefix + String(repeating: "0", count: 12 - prefix.count)
            party = body + String(GS1.checkDigit(of: Substring(body)))
        }
        return ("https://id.gs1.org/414/\(location)", "https://id.gs1.org/417/\(party)")
    }

    private func requiredPlace(_ name: String) throws(SpreadsheetProblem) -> (location: String, party: String) {
        guard let place = try place(name) else { throw problem(name, "required", "the row has no \(name)") }
        return place
    }

    private enum Goods {
        case items([JSONValue])
        case quantity(JSONValue)
    }

    /// `gtin` with `serial` (one or more) or `lot` with `quantity` and `unit`.
    private func goods() throws(SpreadsheetProblem) -> Goods {
        let gtinText = try required("gtin")
        let gtin: GTIN
        do { gtin = try GTIN(gtinText) } catch { throw problem("gtin", "gtin", "\(error)") }
        let serials = cell("serial")?.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) ?? []
        let lot = cell("lot")
        if !serials.isEmpty {
            guard lot == nil else { throw problem("lot", "goods", "give serial numbers or a lot, not both") }
            guard serials.count <= 10_000 else {
                throw problem("serial", "serial", "more than 10,000 serials in a row")
            }
            var items: [JSONValue] = []
            for serial in serials {
                do {
                    let identifier = try GS1Identifier.product(gtin: gtin, serial: serial).validated()
                    items.append(.string(DigitalLink(identifier).uri))
                } catch { throw problem("serial", "serial", "\(error)") }
            }
            return .items(items)
        }
        guard let lot else { throw problem("serial", "goods", "the row names no goods: give serial numbers or a lot") }
        let epcClass: String
        do { epcClass = DigitalLink(try GS1Identifier.product(gtin: gtin, lot: lot).validated()).uri } catch {
            throw problem("lot", "lot", "\(error)")
        }
        guard let quantityText = cell("quantity") else {
            throw problem("quantity", "required", "a lot needs its quantity")
        }
        guard let number = Cells.decimal(quantityText), let quantity = Double(number), quantity > 0, quantity <= 1e12
        else {
            throw problem(
                "quantity", "quantity", "'\(quantityText)' is not a quantity (a number above 0, like 300 or 12.5)")
        }
        guard let unit = cell("unit") else { throw problem("unit", "required", "a quantity needs its unit") }
        guard (2...3).contains(unit.utf8.count),
            unit.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) })
        else {
            throw problem("unit", "unit", "'\(unit)' is not a UN/ECE Rec. 20 unit code (KGM, MTR, PCE, …)")
        }
        return .quantity(
            .object([
                .init("epcClass", .string(epcClass)), .init("quantity", .number(number)),
                .init("uom", .string(unit)),
            ]))
    }

    /// An order or batch number as a business transaction's URI: a URI as it is, else the CBV's
    /// `urn:epcglobal:cbv:bt:<GLN of the party>:<number>`.
    private func transaction(_ name: String, party: String) throws(SpreadsheetProblem) -> String? {
        guard let text = cell(name) else { return nil }
        if EPCISValidator.isURI(text) { return text }
        guard text.utf8.count <= 64,
            text.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x2E
                    || $0 == 0x5F || $0 == 0x2F
            })
        else {
            throw problem(name, name, "'\(text)' is not a URI, nor a number of letters, digits and - . _ /")
        }
        return "urn:epcglobal:cbv:bt:\(party.suffix(13)):\(text)"
    }

    // MARK: Events

    mutating func event(
        _ row: (line: Int, fields: [String]), step: SpreadsheetStep
    ) -> Result<JSONValue, SpreadsheetProblem> {
        self.row = row
        do { return .success(try makeEvent(step)) } catch { return .failure(error) }
    }

    private func makeEvent(_ step: SpreadsheetStep) throws(SpreadsheetProblem) -> JSONValue {
        // Each cell read once, in the columns' order, so the first problem named is the leftmost.
        let (time, offset) = try time()
        let here: (location: String, party: String)
        var other: (location: String, party: String)?
        switch step {
        case .commission, .pack, .unpack: here = try requiredPlace("location")
        case .ship: (here, other) = (try requiredPlace("from"), try requiredPlace("to"))
        case .receive: (here, other) = (try requiredPlace("at"), try place("from"))
        case .make:
            // `Spreadsheet` reads a make sheet's rows by batch (`batches`), never one by one.
            preconditionFailure("make reads batches of rows")
        }
        var parent: String?
        if step == .pack || step == .unpack {
            let container = try required("container")
            do { parent = DigitalLink(try GS1Identifier.logisticUnit(sscc: container).validated()).uri } catch {
                throw problem("container", "sscc", "\(error)")
            }
        }
        let goods = try goods()
        func located(_ id: String) -> JSONValue { .object([.init("id", .string(id))]) }
        func typed(_ type: String, _ key: String, _ value: String) -> JSONValue {
            .object([.init("type", .string(type)), .init(key, .string(value))])
        }
        var members: [JSONValue.Member] = []
        switch step {
        case .commission:
            members += [.init("type", .string("ObjectEvent"))] + Self.when(time, offset)
            members.append(Self.list(goods, items: "epcList", quantities: "quantityList"))
            members += [
                .init("action", .string("ADD")), .init("bizStep", .string("commissioning")),
                .init("disposition", .string("active")), .init("readPoint", located(here.location)),
                .init("bizLocation", located(here.location)),
            ]
            if let certificate = cell("certificate") {
                guard EPCISValidator.isURI(certificate) else {
                    throw problem("certificate", "certificate", "'\(certificate)' is not a URI")
                }
                members.append(.init("certificationInfo", .string(certificate)))
            }
        case .ship, .receive:
            members += [.init("type", .string("ObjectEvent"))] + Self.when(time, offset)
            members.append(Self.list(goods, items: "epcList", quantities: "quantityList"))
            members += [
                .init("action", .string("OBSERVE")),
                .init("bizStep", .string(step == .ship ? "shipping" : "receiving")),
                .init("disposition", .string(step == .ship ? "in_transit" : "in_progress")),
                .init("readPoint", located(here.location)),
            ]
            if step == .receive { members.append(.init("bizLocation", located(here.location))) }
            let buyer = step == .ship ? other?.party : here.party
            if let order = try transaction("order", party: buyer ?? here.party) {
                members.append(.init("bizTransactionList", .array([typed("po", "bizTransaction", order)])))
            }
            let (source, destination) = step == .ship ? (here, other) : (other, here)
            if let source {
                members.append(
                    .init(
                        "sourceList",
                        .array([
                            typed("owning_party", "source", source.party), typed("location", "source", source.location),
                        ])))
            }
            if let destination {
                members.append(
                    .init(
                        "destinationList",
                        .array([
                            typed("owning_party", "destination", destination.party),
                            typed("location", "destination", destination.location),
                        ])))
            }
        case .pack, .unpack:
            members += [.init("type", .string("AggregationEvent"))] + Self.when(time, offset)
            if let parent { members.append(.init("parentID", .string(parent))) }
            members.append(Self.list(goods, items: "childEPCs", quantities: "childQuantityList"))
            members += [
                .init("action", .string(step == .pack ? "ADD" : "DELETE")),
                .init("bizStep", .string(step == .pack ? "packing" : "unpacking")),
                .init("readPoint", located(here.location)), .init("bizLocation", located(here.location)),
            ]
        case .make: break
        }
        return .object(members)
    }

    private static func when(_ time: String, _ offset: String) -> [JSONValue.Member] {
        [.init("eventTime", .string(time)), .init("eventTimeZoneOffset", .string(offset))]
    }

    private static func list(_ goods: Goods, items: String, quantities: String) -> JSONValue.Member {
        switch goods {
        case .items(let epcs): .init(items, .array(epcs))
        case .quantity(let element): .init(quantities, .array([element]))
        }
    }

    /// `make`: the rows of each batch, in the order batches first appear, as one TransformationEvent — what went in
    /// and what came out, at the batch's one time and place.
    mutating func batches(
        _ rows: [(line: Int, fields: [String])]
    ) -> [(rows: [Int], result: Result<JSONValue, SpreadsheetProblem>)] {
        var order: [String] = []
        var groups: [String: [(line: Int, fields: [String])]] = [:]
        var out: [(rows: [Int], result: Result<JSONValue, SpreadsheetProblem>)] = []
        for row in rows {
            self.row = row
            guard let batch = cell("batch") else {
                out.append(([row.line], .failure(problem("batch", "required", "the row has no batch"))))
                continue
            }
            if groups[batch] == nil { order.append(batch) }
            groups[batch, default: []].append(row)
        }
        for batch in order {
            let group = groups[batch] ?? []
            do { out.append((group.map(\.line), .success(try transformation(batch, group)))) } catch {
                out.append((group.map(\.line), .failure(error)))
            }
        }
        return out.sorted { $0.rows[0] < $1.rows[0] }
    }

    private mutating func transformation(
        _ batch: String, _ rows: [(line: Int, fields: [String])]
    ) throws(SpreadsheetProblem) -> JSONValue {
        var first: (time: String, location: String, party: String)?
        var inputs: (items: [JSONValue], quantities: [JSONValue]) = ([], [])
        var outputs: (items: [JSONValue], quantities: [JSONValue]) = ([], [])
        for row in rows {
            self.row = row
            let (time, _) = try time()
            let location = try requiredPlace("location")
            if let first {
                guard first.time == time else {
                    throw problem(
                        "time", "batch", "batch \(batch) is one event: its rows need one time (\(first.time))")
                }
                guard first.location == location.location else {
                    throw problem("location", "batch", "batch \(batch) is one event: its rows need one location")
                }
            } else {
                first = (time, location.location, location.party)
            }
            let direction = try required("direction").lowercased()
            guard direction == "in" || direction == "out" else {
                throw problem("direction", "direction", "'\(direction)' is neither in nor out")
            }
            switch try goods() {
            case .items(let epcs):
                if direction == "in" { inputs.items += epcs } else { outputs.items += epcs }
            case .quantity(let element):
                if direction == "in" { inputs.quantities.append(element) } else { outputs.quantities.append(element) }
            }
        }
        self.row = rows[0]
        let (time, offset) = try time()
        guard let first else { throw problem(nil, "batch", "batch \(batch) has no rows") }
        var members: [JSONValue.Member] = [.init("type", .string("TransformationEvent"))] + Self.when(time, offset)
        if !inputs.items.isEmpty { members.append(.init("inputEPCList", .array(inputs.items))) }
        if !inputs.quantities.isEmpty { members.append(.init("inputQuantityList", .array(inputs.quantities))) }
        if !outputs.items.isEmpty { members.append(.init("outputEPCList", .array(outputs.items))) }
        if !outputs.quantities.isEmpty { members.append(.init("outputQuantityList", .array(outputs.quantities))) }
        guard !(outputs.items.isEmpty && outputs.quantities.isEmpty) else {
            throw problem("direction", "batch", "batch \(batch) makes nothing: give a row with direction out")
        }
        let order = try transaction("batch", party: first.party) ?? batch
        members += [
            .init("bizStep", .string("commissioning")),
            .init("readPoint", .object([.init("id", .string(first.location))])),
            .init("bizLocation", .object([.init("id", .string(first.location))])),
            .init(
                "bizTransactionList",
                .array([.object([.init("type", .string("prodorder")), .init("bizTransaction", .string(order))])])),
        ]
        return .object(members)
    }
}

/// What a cell may hold.
enum Cells {
    /// A decimal (digits, at most one point among them) as a JSON number: leading zeros dropped (`007` → `7`,
    /// `00.5` → `0.5`); nil for anything else.
    static func decimal(_ text: String) -> String? {
        // A decimal comma (12,5), as spreadsheets in many locales write it.
        let text = text.contains(".") ? text : text.replacingOccurrences(of: ",", with: ".")
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } })
        else { return nil }
        let whole = parts[0].drop { $0 == "0" }
        return (whole.isEmpty ? "0" : String(whole)) + (parts.count == 2 ? "." + parts[1] : "")
    }
}
