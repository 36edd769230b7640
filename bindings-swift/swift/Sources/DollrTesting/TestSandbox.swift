import Dollr
import Foundation

// The `DollrTesting` product: a sandbox for tests of code that uses `Dollr`. The sandbox is the
// `dollr` binary (`dollr sandbox`, a local simulation of the Dollr API): on macOS `TestSandbox.start()`
// runs it as a child process; on iOS (no child processes) a developer runs `dollr sandbox` on the
// Mac and the test attaches to it (the simulator shares the Mac's loopback). Either way the sandbox
// is controlled over loopback HTTP (`/_sandbox/…`, see the sandbox README); its JSON answers are
// those documents.

/// How a test sandbox starts. Unset values keep the sandbox's test defaults (settle time 20 ms,
/// seed 7, verified merchant, USD 10,000.00 / LRD 1,900,000.00 / RWF 14,000,000 wallets).
public struct SandboxOptions: Sendable {
    /// Time for an execution to go `PENDING → PROCESSING` (half) `→` final.
    public var settleMs: UInt64?
    /// `false`: an unverified merchant (payouts, transfers, refunds, hosted checkout answer 403).
    public var verified: Bool?
    /// Opening balances by currency code (`USD`, `LRD`, `RWF`); others keep their defaults.
    public var wallets: [String: Decimal]
    /// Faults active from the start, as `PUT /_sandbox/faults` takes them (JSON). Set right after
    /// the sandbox starts: `reset()` clears them like every other fault.
    public var faultsJson: String?
    /// Access-token lifetime in seconds (token expiry tests).
    public var tokenTtlSeconds: UInt64?

    public init(
        settleMs: UInt64? = nil, verified: Bool? = nil, wallets: [String: Decimal] = [:],
        faultsJson: String? = nil, tokenTtlSeconds: UInt64? = nil
    ) {
        self.settleMs = settleMs
        self.verified = verified
        self.wallets = wallets
        self.faultsJson = faultsJson
        self.tokenTtlSeconds = tokenTtlSeconds
    }
}

/// A running sandbox for tests. One started by `start()` stops on `stop()` or when released (and,
/// since it watches its stdin, when the test process dies); an attached one is left running.
public final class TestSandbox: CustomStringConvertible, @unchecked Sendable {
    /// Environment variable naming the `dollr` binary to run (checked first).
    public static let binaryEnvironmentVariable = "DOLLR_SANDBOX_BINARY"
    /// Environment variable with the URL of a running `dollr sandbox` (iOS: `start()` attaches to it).
    public static let urlEnvironmentVariable = "DOLLR_SANDBOX_URL"

    private let baseUrl: String
    private let lock = NSLock()
    private var credentials: (clientId: String, clientSecret: String, passcode: String) = ("", "", "")
    #if os(macOS)
    private var child: ChildSandbox?
    #endif

    private init(url: String) {
        baseUrl = url
    }

    /// Attaches to a sandbox that is already running (`dollr sandbox` on the Mac, for iOS tests).
    /// Its credentials are read from its configuration; `stop()` leaves it running.
    public convenience init(attachingTo url: String) throws {
        self.init(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
        try remember(config: try control("GET", "/_sandbox/config"))
    }

    /// Starts a sandbox on a free loopback port (macOS: the `dollr` binary as a child process: from
    /// `DOLLR_SANDBOX_BINARY`, else `dollr` on `PATH`). On iOS it attaches to the sandbox named by
    /// `DOLLR_SANDBOX_URL` (run `dollr sandbox` on the Mac; `options` cannot apply there).
    public static func start(options: SandboxOptions = SandboxOptions()) throws -> TestSandbox {
        #if os(macOS)
        let child = try ChildSandbox.start(options: options)
        let sandbox = TestSandbox(url: child.url)
        sandbox.child = child
        do {
            try sandbox.remember(config: try sandbox.control("GET", "/_sandbox/config"))
            if let faults = options.faultsJson {
                _ = try sandbox.control("PUT", "/_sandbox/faults", body: faults, field: "faults_json")
            }
        } catch {
            sandbox.stop()
            throw error
        }
        return sandbox
        #else
        guard let url = ProcessInfo.processInfo.environment[urlEnvironmentVariable], !url.isEmpty else {
            throw internalError(
                "no sandbox to attach to: run `dollr sandbox` on the Mac and set \(urlEnvironmentVariable)"
                    + " (e.g. http://127.0.0.1:8787) in the test scheme's environment")
        }
        return try TestSandbox(attachingTo: url)
        #endif
    }

    deinit {
        stop()
    }

    /// `http://127.0.0.1:PORT`.
    public func url() -> String { baseUrl }

    /// The client id the sandbox accepts.
    public func clientId() -> String { lock.locked { credentials.clientId } }

    /// The client secret the sandbox accepts (a test value, nobody's secret).
    public func clientSecret() -> String { lock.locked { credentials.clientSecret } }

    /// The merchant passcode payouts need.
    public func passcode() -> String { lock.locked { credentials.passcode } }

    /// A client for this sandbox with its credentials (environment variables ignored), listening
    /// on the sandbox's Supabase Realtime server unless `realtime` is false (so a collection ends
    /// as soon as the sandbox settles it, not at the next poll), as the Kotlin `TestSandbox` does.
    public func client(options: ClientOptions = ClientOptions(), realtime: Bool = true) throws -> DollrClient {
        var options = options
        options.baseUrl = baseUrl
        options.ignoreEnv = true
        if realtime && options.supabaseUrl == nil {
            let (supabaseUrl, anonKey) = try supabase()
            options.supabaseUrl = supabaseUrl
            options.supabaseAnonKey = Secret(anonKey)
        }
        return try DollrClient(clientId: clientId(), clientSecret: clientSecret(), options: options)
    }

    /// The sandbox's Supabase Realtime server: its URL and anon key (`GET /_sandbox/realtime`).
    public func supabase() throws -> (url: String, anonKey: String) {
        let answer = try object(control("GET", "/_sandbox/realtime"))
        guard let url = answer["supabase_url"] as? String, let key = answer["supabase_anon_key"] as? String else {
            throw internalError("the sandbox's realtime answer has no supabase_url or supabase_anon_key")
        }
        return (url, key)
    }

    /// Replaces the fault configuration (JSON, as `PUT /_sandbox/faults`).
    public func setFaults(faultsJson: String) throws {
        _ = try control("PUT", "/_sandbox/faults", body: faultsJson, field: "faults_json")
    }

    /// Removes every fault.
    public func clearFaults() throws {
        _ = try control("DELETE", "/_sandbox/faults")
    }

    /// Changes settings while running (JSON, as `PATCH /_sandbox/config`).
    public func updateConfig(patchJson: String) throws {
        try remember(config: try control("PATCH", "/_sandbox/config", body: patchJson, field: "patch_json"))
    }

    /// Sets the merchant wallet balance of `currency`.
    public func setWalletBalance(currency: String, balance: Decimal) throws {
        let body = "{\"balance\":\(NSDecimalNumber(decimal: balance).description(withLocale: Locale(identifier: "en_US_POSIX")))}"
        // 404: no such currency; 422: the balance.
        _ = try control("PUT", "/_sandbox/wallets/\(pathSegment(currency))", body: body) { status in
            status == 422 ? "balance" : "currency"
        }
    }

    /// Request, execution and fault counters (JSON, as `GET /_sandbox/stats`).
    public func stats() throws -> String { try text(control("GET", "/_sandbox/stats")) }

    /// The request log (JSON array, as `GET /_sandbox/requests`).
    public func requestLog() throws -> String { try text(control("GET", "/_sandbox/requests")) }

    /// The merchant wallets (JSON array, as `GET /_sandbox/wallets`).
    public func wallets() throws -> String { try text(control("GET", "/_sandbox/wallets")) }

    /// Every execution's payment intent (JSON array).
    public func paymentIntents() throws -> String { try text(control("GET", "/_sandbox/payment-intents")) }

    /// Moves the execution to its next state; returns the new status.
    public func advance(referenceId: String) throws -> String { try advance(referenceId, to: "next") }

    /// Moves the execution straight to its final state; returns it.
    public func advanceToFinal(referenceId: String) throws -> String { try advance(referenceId, to: "final") }

    /// Revokes every access token issued so far; returns how many.
    public func revokeTokens() throws -> UInt64 {
        let answer = try object(control("POST", "/_sandbox/tokens/revoke"))
        return (answer["revoked"] as? NSNumber)?.uint64Value ?? 0
    }

    /// Forgets every object, counter and fault (the configuration stays).
    public func reset() throws {
        _ = try control("POST", "/_sandbox/reset")
    }

    /// Stops a sandbox `start()` ran (and waits until its process has exited). Idempotent; an
    /// attached sandbox is left running.
    public func stop() {
        #if os(macOS)
        let running = lock.locked { () -> ChildSandbox? in
            defer { child = nil }
            return child
        }
        running?.stop()
        #endif
    }

    /// No secret: the URL and the client id only.
    public var description: String { "TestSandbox(url=\(baseUrl), clientId=\(clientId()))" }

    // MARK: - Control calls

    private func advance(_ referenceId: String, to: String) throws -> String {
        let answer = try object(
            control("POST", "/_sandbox/advance/\(pathSegment(referenceId))?to=\(to)", field: "reference_id"))
        guard let status = answer["status"] as? String else {
            throw internalError("the sandbox's answer to advance has no status")
        }
        return status
    }

    private func remember(config data: Data) throws {
        let config = try object(data)
        guard let id = config["client_id"] as? String, let secret = config["client_secret"] as? String,
            let passcode = config["passcode"] as? String
        else { throw internalError("the sandbox's configuration has no credentials") }
        lock.locked { credentials = (id, secret, passcode) }
    }

    /// One control call; the answer's body. A refusal (4xx) is `DollrError.Validation` naming the
    /// field (snake case, as the Rust helper named it; `DollrError.field` spells it the Swift way).
    private func control(
        _ method: String, _ path: String, body: String? = nil, field: String? = nil,
        fieldOf: ((Int) -> String?)? = nil
    ) throws -> Data {
        guard let url = URL(string: baseUrl + path) else { throw internalError("not a URL: \(baseUrl + path)") }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = body.map { Data($0.utf8) }
        let (data, status) = try TestSandbox.send(request)
        if (200..<300).contains(status) { return data }
        let name = fieldOf?(status) ?? field
        let said = String(decoding: data, as: UTF8.self)
        if (400..<500).contains(status), let name {
            throw TestSandbox.invalid(name, TestSandbox.explanation(of: data) ?? said)
        }
        throw internalError("the sandbox answered \(method) \(path) with HTTP \(status): \(said)")
    }

    /// URLSession without proxies (loopback only), waited for synchronously like the old API.
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        return URLSession(configuration: configuration)
    }()

    /// The answer of a request, handed from URLSession's queue to the waiting caller.
    private final class Answer: @unchecked Sendable {
        var result: Result<(Data, Int), Error> = .failure(internalError("no answer"))
        let done = DispatchSemaphore(value: 0)
    }

    private static func send(_ request: URLRequest) throws -> (Data, Int) {
        let answer = Answer()
        let where_ = request.url?.absoluteString ?? "?"
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                answer.result = .failure(internalError("the sandbox at \(where_) did not answer: \(error)"))
            } else {
                answer.result = .success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
            }
            answer.done.signal()
        }
        task.resume()
        if answer.done.wait(timeout: .now() + 60) == .timedOut {
            task.cancel()
            throw internalError("the sandbox did not answer within 60 s")
        }
        return try answer.result.get()
    }

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    private func object(_ data: Data) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw internalError("the sandbox answered something that is not a JSON object: \(text(data))")
        }
        return object
    }

    private func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The sandbox's explanation of a refusal: its `detail` message(s).
    static func explanation(of data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let detail = object["detail"] as? String { return detail }
        let messages = (object["detail"] as? [[String: Any]])?.compactMap { $0["msg"] as? String } ?? []
        return messages.isEmpty ? nil : messages.joined(separator: "; ")
    }

    static func invalid(_ field: String, _ message: String) -> DollrError {
        .Validation(
            reason: "invalid `\(field)`: \(message)", status: nil,
            details: [ValidationDetail(loc: ["body", field], msg: message, kind: "value_error")],
            retryAfter: nil, referenceId: nil, requestId: nil)
    }
}

extension NSLock {
    /// `body` with the lock held (NSLocking's own `withLock` needs newer OS versions than the package's).
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

func internalError(_ reason: String) -> DollrError {
    .Internal(reason: reason, status: nil, details: [], retryAfter: nil, referenceId: nil, requestId: nil)
}

#if os(macOS)
/// The `dollr sandbox` child process: started with its stdin a pipe it watches
/// (`--exit-when-stdin-closes`), its first stdout line read with a deadline.
final class ChildSandbox: @unchecked Sendable {
    private static let firstLineDeadline: TimeInterval = 30
    private static let stopGrace: TimeInterval = 10
    // Flags of `dollr sandbox` → the option that gave them (a refused flag names its option).
    private static let optionOfFlag = [
        "--wallet": "wallets", "--settle-ms": "settle_ms", "--token-ttl-seconds": "token_ttl_seconds",
    ]

    let url: String
    private let process: Process
    private let stdin: Pipe

    private init(url: String, process: Process, stdin: Pipe) {
        self.url = url
        self.process = process
        self.stdin = stdin
    }

    static func start(options: SandboxOptions) throws -> ChildSandbox {
        let binary = try findBinary()
        var arguments = [
            "sandbox", "--host", "127.0.0.1", "--port", "0", "--exit-when-stdin-closes", "--seed", "7",
            "--settle-ms", String(options.settleMs ?? 20),
        ]
        if options.verified == false { arguments.append("--unverified") }
        if let ttl = options.tokenTtlSeconds { arguments += ["--token-ttl-seconds", String(ttl)] }
        for (currency, balance) in options.wallets.sorted(by: { $0.key < $1.key }) {
            let amount = NSDecimalNumber(decimal: balance).description(withLocale: Locale(identifier: "en_US_POSIX"))
            arguments += ["--wallet", "\(currency)=\(amount)"]
        }

        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw internalError("the sandbox did not start: cannot run \(binary.path): \(error)")
        }
        let child = ChildSandbox(url: "", process: process, stdin: stdin)
        // stdout: the first line, then drained (the rest is for people); stderr: kept for errors.
        let lines = LineReader(stdout.fileHandleForReading)
        let errors = LineReader(stderr.fileHandleForReading)
        guard let line = lines.firstLine(within: firstLineDeadline),
            line.hasPrefix("listening on http://127.0.0.1:")
        else {
            child.stop()
            let said = errors.text()
            if let refused = optionOfFlag.first(where: { said.contains("'\($0.key)") }) {
                let first = said.split(separator: "\n").first.map(String.init) ?? said
                throw TestSandbox.invalid(refused.value, first.replacingOccurrences(of: "error: ", with: ""))
            }
            throw internalError("the sandbox did not start (no address within \(Int(firstLineDeadline)) s): \(said)")
        }
        return ChildSandbox(url: String(line.dropFirst("listening on ".count)), process: process, stdin: stdin)
    }

    /// Closes its stdin (it stops by itself), then SIGTERM, then SIGKILL, each with a deadline.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if exited(within: Self.stopGrace) { return }
        process.terminate()
        if exited(within: Self.stopGrace) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = exited(within: Self.stopGrace)
    }

    private func exited(within seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// `DOLLR_SANDBOX_BINARY` (an explicit path), else `dollr` on `PATH`.
    private static func findBinary() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let named = environment[TestSandbox.binaryEnvironmentVariable], !named.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: named) else {
                throw internalError("\(TestSandbox.binaryEnvironmentVariable) names \(named), which is not an executable file")
            }
            return URL(fileURLWithPath: named)
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("dollr")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw internalError(
            "no dollr sandbox binary: put `dollr` on PATH (the dollr CLI release archive, or "
                + "`cargo install --path cli` in a checkout) or set \(TestSandbox.binaryEnvironmentVariable) to its path")
    }
}

/// Reads a pipe on a background thread to its end, so the child never blocks writing to it.
final class LineReader: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var ended = false
    private let changed = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData  // empty at the end of the stream
                lock.locked {
                    if chunk.isEmpty { ended = true } else if buffer.count < 64 * 1024 { buffer.append(chunk) }
                }
                changed.signal()
                if chunk.isEmpty { return }
            }
        }
    }

    /// The first line, once it is complete (nil at the deadline or if the stream ends first).
    func firstLine(within seconds: TimeInterval) -> String? {
        let deadline = DispatchTime.now() + seconds
        while true {
            let (line, over) = lock.locked { () -> (String?, Bool) in
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    return (String(decoding: buffer[..<newline], as: UTF8.self), true)
                }
                return (nil, ended)
            }
            if line != nil || over { return line }
            if changed.wait(timeout: deadline) == .timedOut { return nil }
        }
    }

    /// What was read (waits up to 2 s for the end of a stream whose process has exited).
    func text() -> String {
        let deadline = Date().addingTimeInterval(2)
        while !lock.locked({ ended }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return lock.locked { String(decoding: buffer, as: UTF8.self) }
    }
}
#endif
