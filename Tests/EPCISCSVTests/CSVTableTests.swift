import EPCISCSV
import Testing

/// RFC 4180 as spreadsheets save it.
@Suite struct CSVTableTests {
    @Test("quotes, separators and line breaks inside quotes, CRLF, a byte-order mark, blank rows")
    func reads() throws {
        let text =
            "\u{FEFF}Time,Serial , note\r\n2026-09-01 08:30+08:00,\"TS-1 TS-2\",\"a, \"\"quoted\"\"\nline\"\r\n\r\n x , y ,z\n"
        let table = try CSVTable(Array(text.utf8))
        #expect(table.header == ["time", "serial", "note"])
        #expect(table.rows.count == 2)
        #expect(table.rows[0].line == 2)
        #expect(table.rows[0].fields == ["2026-09-01 08:30+08:00", "TS-1 TS-2", "a, \"quoted\"\nline"])
        // The quoted field spans two lines: the next row is line 5 (line 4 is blank).
        #expect(table.rows[1].line == 5)
        #expect(table.rows[1].fields == ["x", "y", "z"])
    }

    @Test("semicolons when the header has them and no comma")
    func semicolons() throws {
        let table = try CSVTable(Array("time;gtin\n2026-09-01 08:30+08:00;00614141123452\n".utf8))
        #expect(table.header == ["time", "gtin"])
        #expect(table.rows[0].fields == ["2026-09-01 08:30+08:00", "00614141123452"])
    }

    @Test(
        "what is refused, with its row",
        arguments: [
            ("time\n\"open", 2, "not closed"),
            ("time\n\"a\"b", 2, "after its closing quote"),
            ("", 1, "empty"),
            ("time\n" + String(repeating: "x", count: 5000), 2, "longer than"),
            ("a" + String(repeating: ",a", count: 70), 1, "columns"),
        ])
    func refused(text: String, line: Int, naming: String) {
        #expect {
            _ = try CSVTable(Array(text.utf8))
        } throws: { error in
            guard let failure = error as? CSVTable.Failure else { return false }
            return failure.line == line && failure.message.contains(naming)
        }
    }

    @Test("bytes that are not UTF-8 are refused, asking for CSV UTF-8")
    func notUTF8() {
        #expect {
            _ = try CSVTable([0x74, 0x69, 0x6D, 0x65, 0x0A, 0xE9, 0x0A])
        } throws: { error in
            (error as? CSVTable.Failure)?.message.contains("CSV UTF-8") == true
        }
    }

    @Test("every step's template has its required columns and reads back as CSV")
    func templates() throws {
        for step in SpreadsheetStep.allCases {
            let table = try CSVTable(Array(step.template.utf8))
            #expect(table.header == step.columns.map(\.name))
            #expect(table.rows.count == (step == .make ? 2 : 1))
            for row in table.rows { #expect(row.fields.count == step.columns.count) }
        }
    }
}
