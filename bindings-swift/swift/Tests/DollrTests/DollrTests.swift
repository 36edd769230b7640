import Foundation
import XCTest

import Dollr
import DollrTesting

/// A small suite for macOS (`swift test`, run by .github/workflows/swift.yml): the same library
/// the Kotlin suite tests in depth, seen through the generated Swift API.
final class DollrTests: XCTestCase {
    private func quickFlow() -> FlowSettings {
        FlowSettings(waitTimeout: 30, pollInterval: 0.01, maxPollInterval: 0.1)
    }

    func testAmountsCrossTheFFIAsExactDecimals() throws {
        for text in ["250.10", "0.1", "5000", "12345678901234567890.12"] {
            let amount = try XCTUnwrap(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            let request = collectRequest(phone: "231771234567", amount: amount, currency: "USD")
            XCTAssertEqual(request.items.first?.amount, amount, text)
        }
    }

    func testSecretsAreRedactedWhenPrinted() {
        let token = PasscodeToken(code: SecretValue("987654"), userId: nil, phone: "231779999999")
        XCTAssertFalse(String(describing: token).contains("987654"))
        XCTAssertFalse(String(reflecting: token).contains("987654"))
        var dumped = ""
        dump(token, to: &dumped)
        XCTAssertFalse(dumped.contains("987654"))
        XCTAssertEqual(token.code.reveal(), "987654")
    }

    func testACollectionCompletesOnTheSandbox() async throws {
        let sandbox = try TestSandbox.start()
        defer { sandbox.stop() }
        let client = try sandbox.client()
        var request = collectRequest(
            phone: "231771234567", amount: Decimal(string: "12.50")!, currency: "USD")
        request.payerName = "Amara Kamara"
        request.options = quickFlow()
        let outcome = try await client.collect(request: request)
        XCTAssertEqual(outcome.execution.status, .completed)
        XCTAssertEqual(outcome.totalAmount, Decimal(string: "12.50"))
        XCTAssertEqual(outcome.execution.status.description, "COMPLETED")
        XCTAssertTrue(outcome.settled)
        XCTAssertNotNil(outcome.receipt)
    }

    func testErrorsAreTypedWithTheirKind() async throws {
        let sandbox = try TestSandbox.start()
        defer { sandbox.stop() }
        let client = try sandbox.client()
        do {
            _ = try await client.parties().retrieve(id: 999_999)
            XCTFail("expected NotFound")
        } catch let error as DollrError {
            guard case .NotFound = error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .notFound)
            XCTAssertEqual(error.httpStatus, 404)
        }
        do {
            var request = collectRequest(
                phone: "+231771234567", amount: Decimal(string: "10.00")!, currency: "USD")
            request.payerName = "Amara"
            _ = try await client.collect(request: request)
            XCTFail("expected Validation")
        } catch let error as DollrError {
            XCTAssertEqual(error.kind, .validation)
            XCTAssertEqual(error.field, "phone")
        }
    }

    func testAPanicInsideTheSDKIsAnInternalError() async {
        XCTAssertThrowsError(try debugPanic(message: "boom")) { error in
            XCTAssertEqual((error as? DollrError)?.kind, .`internal`)
        }
        do {
            try await debugPanicAsync(message: "async boom")
            XCTFail("expected Internal")
        } catch {
            XCTAssertEqual((error as? DollrError)?.kind, .`internal`)
        }
    }

    func testAWaitCanBeCancelled() async throws {
        let sandbox = try TestSandbox.start(options: SandboxOptions(settleMs: 200))
        defer { sandbox.stop() }
        let client = try sandbox.client()
        var request = collectRequest(
            phone: testNumbers()["SLOW"]!, amount: Decimal(string: "20.00")!, currency: "USD")
        request.payerName = "Patient Payer"
        request.options = FlowSettings(waitTimeout: 0.3, pollInterval: 0.01, maxPollInterval: 0.1)
        let started = try await client.collect(request: request)
        XCTAssertFalse(started.settled)
        let handle = try client.status().wait(
            operationType: .collection, referenceId: started.referenceId,
            options: WaitOptions(initialInterval: 0.01, maxInterval: 0.05))
        handle.cancel()
        let outcome = try await handle.result()
        XCTAssertTrue(handle.isCancelled())
        guard case .stillProcessing(let referenceId, _, _) = outcome else {
            return XCTFail("\(outcome)")
        }
        XCTAssertEqual(referenceId, started.referenceId)
    }

    /// `status().watch(..)` over the sandbox's Supabase Realtime server, as the Kotlin WatchTest:
    /// the sandbox settles only when told and polls are 60 s apart, so a change seen in time came
    /// over realtime; the payment is advanced only once the watch has joined its channel and made
    /// its catch-up poll.
    func testACollectionIsWatchedOverRealtime() async throws {
        let sandbox = try TestSandbox.start(options: SandboxOptions(settleMs: 600_000))
        defer { sandbox.stop() }
        let payer = try sandbox.client()
        var request = collectRequest(
            phone: testNumbers()["COMPLETES"]!, amount: Decimal(string: "8.00")!, currency: "USD")
        request.payerName = "Amara Kamara"
        request.options = FlowSettings(waitTimeout: 0.001)
        let started = try await payer.collect(request: request)
        let reference = started.referenceId
        let joinsBefore = try realtimeCounter(sandbox, "joins")

        let watcher = try sandbox.client()
        var options = WaitOptions(timeout: 30, initialInterval: 60, maxInterval: 60)
        options.sessionId = started.sessionId
        let driver = Task {
            try await eventually("the join and the catch-up poll") {
                try self.realtimeCounter(sandbox, "joins") > joinsBefore
                    && self.statusLookups(sandbox, reference) >= 2
            }
            _ = try sandbox.advance(referenceId: reference)
        }
        var seen: [Transition] = []
        for try await change in watcher.status().watch(
            operationType: .collection, referenceId: reference, options: options)
        {
            seen.append(change)
            if change.to == .processing { _ = try sandbox.advance(referenceId: reference) }
        }
        try await driver.value
        XCTAssertEqual(seen.map(\.to), [.pending, .processing, .completed])
        XCTAssertEqual(seen.map(\.channel), [.poll, .realtime, .realtime])
        // Leaving the loop (here: the stream ended) closes the socket.
        try await eventually("every socket closed") { try self.realtimeCounter(sandbox, "open") == 0 }
    }

    private func realtimeCounter(_ sandbox: TestSandbox, _ key: String) throws -> Int {
        let stats = try JSONSerialization.jsonObject(with: Data(try sandbox.stats().utf8)) as? [String: Any]
        return ((stats?["realtime"] as? [String: Any])?[key] as? NSNumber)?.intValue ?? 0
    }

    /// Answered status lookups of `reference` in the sandbox's request log.
    private func statusLookups(_ sandbox: TestSandbox, _ reference: String) throws -> Int {
        let log = try JSONSerialization.jsonObject(with: Data(try sandbox.requestLog().utf8)) as? [[String: Any]] ?? []
        return log.filter { entry in
            entry["method"] as? String == "GET" && (entry["path"] as? String)?.hasSuffix(reference) == true
                && "\(entry["status"] ?? "")" == "200"
        }.count
    }

    /// Polls `condition` until it holds; fails the test after 30 s.
    private func eventually(_ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while try !condition() {
            guard Date() < deadline else {
                XCTFail("never happened within 30 s: \(what)")
                throw CancellationError()
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    func testTheSandboxHelperControlsItsChildAndNamesRefusedInput() async throws {
        let sandbox = try TestSandbox.start(options: SandboxOptions(wallets: ["LRD": Decimal(string: "12.50")!]))
        XCTAssertEqual(sandbox.description, "TestSandbox(url=\(sandbox.url()), clientId=\(sandbox.clientId()))")
        XCTAssertFalse(sandbox.description.contains(sandbox.clientSecret()))
        XCTAssertTrue(try sandbox.wallets().contains("\"LRD\""))

        // Refused input is a Validation error naming the field, as the SDK's own errors do.
        XCTAssertThrowsError(try sandbox.setWalletBalance(currency: "EUR", balance: 1)) { error in
            XCTAssertEqual((error as? DollrError)?.field, "currency")
        }
        XCTAssertThrowsError(try sandbox.advance(referenceId: "no-such-reference")) { error in
            XCTAssertEqual((error as? DollrError)?.field, "referenceId")
        }
        XCTAssertThrowsError(try TestSandbox.start(options: SandboxOptions(wallets: ["EUR": 1]))) { error in
            XCTAssertEqual((error as? DollrError)?.field, "wallets")
        }

        // What iOS tests do: attach to a running sandbox; its stop() leaves that sandbox running.
        let attached = try TestSandbox(attachingTo: sandbox.url())
        XCTAssertEqual(attached.passcode(), sandbox.passcode())
        attached.stop()
        XCTAssertTrue(try sandbox.stats().contains("\"requests\""))

        sandbox.stop()
        XCTAssertThrowsError(try sandbox.stats(), "nothing answers once the sandbox stopped")
    }

    func testOneVersionForEveryPackage() {
        XCTAssertFalse(sdkVersion().isEmpty)
        XCTAssertEqual(testNumbers()["COMPLETES"], "231771234567")
    }
}
