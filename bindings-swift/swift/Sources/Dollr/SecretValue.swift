import Foundation

/// A secret (client secret, access token, payout passcode, a card payment's `client_secret`).
/// `description`, `debugDescription` and reflection (`dump`, `print` of a containing struct) show
/// `[REDACTED]`; call `reveal()` only where the value is needed. The generated code knows it as
/// `Secret`.
public struct SecretValue: Equatable, Hashable, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The secret itself.
    public func reveal() -> String {
        value
    }

    public var description: String { "[REDACTED]" }

    public var debugDescription: String { "[REDACTED]" }

    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
