#if os(Linux)
    import Foundation
    import Glibc
    import Testing
    import ThreadlineTestSupport
    import TransparencyLog

    @testable import LedgerStore
    @testable import LedgerStoreSQLite

    /// `willReadAll` on the SQLite store: a ledger file that is no longer in memory is read back in ahead of an
    /// audit (the kernel does it, from the hint), without the audit touching it.
    struct ReadAheadTests {
        struct SystemCallFailed: Error, CustomStringConvertible {
            let call: String
            var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
        }

        /// The share of the file's pages in memory (mincore(2) over a map of the whole file).
        static func residentShare(of path: String) throws -> Double {
            let descriptor = Glibc.open(path, O_RDONLY)
            guard descriptor >= 0 else { throw SystemCallFailed(call: "open") }
            defer { close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw SystemCallFailed(call: "fstat") }
            let size = Int(status.st_size)
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), map != MAP_FAILED else {
                throw SystemCallFailed(call: "mmap")
            }
            defer { munmap(map, size) }
            var pages = [UInt8](repeating: 0, count: (size + page - 1) / page)
            guard mincore(map, size, &pages) == 0 else { throw SystemCallFailed(call: "mincore") }
            return Double(pages.count(where: { $0 & 1 != 0 })) / Double(pages.count)
        }

        /// Writes the file's pages out and asks the kernel to drop them from memory.
        static func evict(_ path: String) {
            let descriptor = Glibc.open(path, O_RDONLY)
            defer { close(descriptor) }
            fsync(descriptor)
            _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED))
        }

        @Test func aLedgerOutOfMemoryIsReadBackInOnTheHint() async throws {
            let path = try TemporaryFolder.make().appendingPathComponent("l.db").path
            // About 4 MiB of records, written and then closed (the log is checkpointed into the main file).
            do {
                let store = try SQLiteLedgerStore.create(path: path, metadata: StoreKind.metadata)
                let record = [UInt8](repeating: 0x61, count: 2_000)
                _ = try await appendEntries(Array(repeating: record, count: 2_000), to: store)
            }
            let store = try SQLiteLedgerStore.open(path: path)
            Self.evict(path)
            // Opening read the schema through the map; those few pages stay, the records do not.
            #expect(try Self.residentShare(of: path) < 0.5)
            await store.willReadAll()
            // The hint starts the reads and returns; they finish soon after (alone, in well under a second; beside
            // the rest of the suite's I/O, it has taken more than five). The kernel may reclaim some of the pages
            // again while others are still coming in (this machine runs DAMON-based reclaim, which takes cold
            // pages), so the figure is the most that was in memory at once, and most of the file is enough.
            var most = 0.0
            for _ in 0..<400 {
                most = max(most, try Self.residentShare(of: path))
                if most > 0.99 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(most > 0.8)
            #expect(try await store.records(1_999..<2_000).first?.count == 2_000)
        }
    }
#endif
