import Foundation

// Hand-written, like the Kotlin `Status.watch` Flow (Watch.kt): the core's wait with a listener,
// turned into an `AsyncThrowingStream`. Nothing is decided here.

/// Forwards each transition of a wait into a stream continuation.
private final class StreamingListener: TransitionListener, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<Transition, Error>.Continuation

    init(_ continuation: AsyncThrowingStream<Transition, Error>.Continuation) {
        self.continuation = continuation
    }

    func onTransition(transition: Transition) {
        continuation.yield(transition)
    }
}

extension Status {
    /// Follows the execution `referenceId` and yields each observed status change as it happens
    /// (`for try await change in client.status().watch(...)`), until it is `COMPLETED` or `FAILED`
    /// or the options' timeout passes. For a collection, set `options.sessionId` (and
    /// `options.sourceType`, default `INVOICE`): when the client has a Supabase URL and anon key,
    /// changes arrive over Supabase Realtime (`change.channel == .realtime`, each confirmed by the
    /// status API), polling being the fallback. Ending the iteration (leaving the loop, cancelling
    /// the task) cancels the wait and closes the socket.
    public func watch(
        operationType: OperationType,
        referenceId: String,
        options: WaitOptions = WaitOptions()
    ) -> AsyncThrowingStream<Transition, Error> {
        AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
            let handle: WaitHandle
            do {
                handle = try self.wait(
                    operationType: operationType,
                    referenceId: referenceId,
                    options: options,
                    listener: StreamingListener(continuation)
                )
            } catch {
                continuation.finish(throwing: error)
                return
            }
            let waiting = Task {
                do {
                    _ = try await handle.result()
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                handle.cancel()
                waiting.cancel()
            }
        }
    }
}
