import Foundation
import XCTest

import Dollr
import DollrTesting

// The Swift code of bindings-swift/README.md, run against TestSandbox (the `dollr` binary) by `swift test`
// (macOS, .github/workflows/swift.yml). tests/docs/run_code_blocks.py fails `make test` when a
// README block is not found here verbatim. Only the names the README leaves to the reader (your
// backend, the ids you hold) are defined around the blocks.

/// What the README calls "your server": here it asks the test's sandbox for tokens.
struct IssuedToken {
    let token: String
    let minutes: Int64
}

final class TokenBackend: @unchecked Sendable {
    var source: DollrClient?

    func dollrToken(forceRefresh: Bool) async throws -> IssuedToken {
        guard let source else { throw CancellationError() }
        let answer = try await source.obtainToken()
        return IssuedToken(token: answer.accessToken.reveal(), minutes: answer.expiresIn)
    }
}

let myBackend = TokenBackend()

// In an app: tokens from your server.
final class ServerTokens: AccessTokenProvider, @unchecked Sendable {
    func accessToken(forceRefresh: Bool) async throws -> ProvidedToken {
        let issued = try await myBackend.dollrToken(forceRefresh: forceRefresh)
        return ProvidedToken(token: SecretValue(issued.token), expiresIn: TimeInterval(issued.minutes * 60))
    }
}

final class ReadmeTests: XCTestCase {
    func testTheReadmeExampleRunsOnTheSandbox() async throws {
        let sandbox = try TestSandbox.start()             // stops when released, or with stop()
        defer { sandbox.stop() }
        myBackend.source = try sandbox.client()           // a client with the sandbox's URL and credentials
        let baseUrl = sandbox.url()
        let first = try await sandbox.client().collect(
            request: {
                var request = collectRequest(phone: "231771234567", amount: Decimal(string: "5.00")!, currency: "USD")
                request.payerName = "Amara Kamara"
                return request
            }())
        let invoiceId = first.sourceId
        let referenceId = first.referenceId

        let client = try DollrClient.withTokenProvider(provider: ServerTokens(), options: ClientOptions(baseUrl: baseUrl))

        var request = collectRequest(phone: "231771234567", amount: Decimal(string: "250.00")!, currency: "USD")
        request.payerName = "Amara Kamara"
        do {
            let outcome = try await client.collect(request: request)
            print(outcome.execution.status)               // COMPLETED, FAILED, or PROCESSING at the deadline
        } catch let error as DollrError {
            print(error.kind, error.reason, error.referenceId ?? "-")
        }

        let status = try await client.status().source(sourceType: .invoice, sourceId: invoiceId)
        let handle = try client.status().wait(operationType: .collection, referenceId: referenceId)
        handle.cancel()                                   // Swift tasks cannot cancel a Rust future: use the handle

        XCTAssertEqual(status.status, .paid)
    }
}
