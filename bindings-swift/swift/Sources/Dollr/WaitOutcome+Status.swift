import Foundation

// Hand-written, like DollrError+Fields.swift (and the Kotlin `WaitOutcome.status`): the generated
// `WaitOutcome` keeps the status on the execution of each case; code written from the Dollr docs
// (every status payload there has `status`) reads `outcome.status`.

extension WaitOutcome {
    /// The execution's status: `COMPLETED`/`FAILED` when `.finished`, the last one seen when
    /// `.stillProcessing` (`nil` if none was seen).
    public var status: ExecutionStatus? {
        switch self {
        case let .finished(execution, _):
            return execution.status
        case let .stillProcessing(_, last, _):
            return last?.status
        }
    }
}
