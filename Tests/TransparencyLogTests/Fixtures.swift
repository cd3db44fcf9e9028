import Foundation

/// Paths to the peers' vectors in `../shared/vectors`, read in place.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sharedVectors = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")

    /// Every `.json` file under `folder` of the shared vectors, sorted.
    static func jsonFiles(under folder: String) -> [URL] {
        let root = sharedVectors.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
            .sorted { $0.path < $1.path }
    }
}
