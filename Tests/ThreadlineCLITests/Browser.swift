import Foundation
import ThreadlineTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Headless Chromium driven over the Chrome DevTools Protocol on `--remote-debugging-pipe` (requests on the
/// child's fd 3, answers on fd 4, each a JSON message ending in a NUL byte): a real browser, with no driver to
/// install besides Debian's `chromium`.
final class Browser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The Chromium binary, if installed.
    static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    private let pid: pid_t
    private let commands: Int32
    private let events: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0
    private let profile: URL

    init() throws {
        guard let executable = Self.executable else { throw Failure(description: "chromium is not installed") }
        profile = try TemporaryFolder.make("chromium")
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        let devNull = Glibc.open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-pipe",
            "--user-data-dir=\(profile.path)", "about:blank",
        ]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        close(devNull)
        guard status == 0 else { throw Failure(description: "could not start \(executable): \(status)") }
        pid = child
        commands = toBrowser[1]
        events = fromBrowser[0]
    }

    deinit {
        close(commands)
        close(events)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Sends a command and returns its `result`, reading past events (passed to `onEvent`).
    @discardableResult
    func send(
        _ method: String, _ params: [String: Any] = [:], session: String? = nil,
        onEvent: (String, [String: Any]) -> Void = { _, _ in }
    ) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        guard bytes.withUnsafeBytes({ write(commands, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure(description: "the browser stopped reading")
        }
        while true {
            let reply = try read()
            if reply["id"] as? Int == nextID {
                if let error = reply["error"] as? [String: Any] { throw Failure(description: "\(method): \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            if let event = reply["method"] as? String { onEvent(event, reply["params"] as? [String: Any] ?? [:]) }
        }
    }

    /// Waits for an event named `name`.
    func wait(for name: String) throws {
        while true {
            if try read()["method"] as? String == name { return }
        }
    }

    private func read() throws -> [String: Any] {
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let message = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                return try JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] ?? [:]
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(events, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure(description: "the browser closed its pipe") }
            buffer += chunk[..<count]
        }
    }

    /// What a person sees of `url` on a phone-sized screen with JavaScript off.
    struct Page {
        /// The rendered text (`innerText`: what CSS shows, collapsed `<details>` left out).
        let text: String
        /// The whole document's text, shown or not.
        let allText: String
        let viewportWidth: Int
        /// The document's width; above the viewport's, the page scrolls sideways.
        let scrollWidth: Int
        let fontSize: Double
        /// The first `[role=alert]`'s top edge, if there is one.
        let alertTop: Double?
        let alertText: String?
        let viewportHeight: Int
        let screenshot: Data
        /// The document's `lang`.
        let language: String
        /// The status block's classes and its bottom edge.
        let statusKind: String
        let statusBottom: Double?
    }

    /// Opens `url`, types `value` into the form field named `field` and submits its form as a person would (the
    /// page itself runs no script); the page the browser then shows.
    func submit(_ url: String, field: String, value: String, width: Int = 360, height: Int = 740) throws -> Page {
        try open(url, width: width, height: height) { session in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            var loaded = false
            try self.send(
                "Runtime.evaluate",
                [
                    "expression":
                        "const f = document.querySelector('[name=\(field)]'); f.value = '\(escaped)'; f.form.requestSubmit(); 1"
                ], session: session
            ) { name, _ in if name == "Page.loadEventFired" { loaded = true } }
            if !loaded { try self.wait(for: "Page.loadEventFired") }
        }
    }

    func open(
        _ url: String, width: Int = 360, height: Int = 740, then act: (String) throws -> Void = { _ in }
    ) throws
        -> Page
    {
        let target = try send("Target.createTarget", ["url": "about:blank"])
        let attached = try send("Target.attachToTarget", ["targetId": target["targetId"] ?? "", "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no session") }
        try send(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 2, "mobile": true], session: session)
        try send("Emulation.setScriptExecutionDisabled", ["value": true], session: session)
        try send("Page.enable", session: session)
        var loaded = false
        try send("Page.navigate", ["url": url], session: session) { name, _ in
            if name == "Page.loadEventFired" { loaded = true }
        }
        if !loaded { try wait(for: "Page.loadEventFired") }
        try act(session)
        let probe = """
            JSON.stringify({text: document.body.innerText, all: document.body.textContent,
              width: window.innerWidth, height: window.innerHeight,
              scrollWidth: document.documentElement.scrollWidth,
              font: parseFloat(getComputedStyle(document.body).fontSize),
              alertTop: document.querySelector('[role=alert]')?.getBoundingClientRect().top ?? null,
              alertText: document.querySelector('[role=alert]')?.innerText ?? null,
              lang: document.documentElement.lang,
              statusKind: document.querySelector('.status')?.className ?? '',
              statusBottom: document.querySelector('.status')?.getBoundingClientRect().bottom ?? null})
            """
        let evaluated = try send(
            "Runtime.evaluate", ["expression": probe, "returnByValue": true], session: session)
        guard let json = (evaluated["result"] as? [String: Any])?["value"] as? String,
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        else { throw Failure(description: "the page could not be read: \(evaluated)") }
        let shot = try send("Page.captureScreenshot", ["format": "png"], session: session)
        return Page(
            text: object["text"] as? String ?? "", allText: object["all"] as? String ?? "",
            viewportWidth: object["width"] as? Int ?? 0, scrollWidth: object["scrollWidth"] as? Int ?? 0,
            fontSize: object["font"] as? Double ?? 0, alertTop: object["alertTop"] as? Double,
            alertText: object["alertText"] as? String, viewportHeight: object["height"] as? Int ?? 0,
            screenshot: Data(base64Encoded: shot["data"] as? String ?? "") ?? Data(),
            language: object["lang"] as? String ?? "", statusKind: object["statusKind"] as? String ?? "",
            statusBottom: object["statusBottom"] as? Double)
    }
}
