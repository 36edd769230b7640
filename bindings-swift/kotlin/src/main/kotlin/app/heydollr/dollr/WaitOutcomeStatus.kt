package app.heydollr.dollr

import app.heydollr.dollr.model.ExecutionStatus
import app.heydollr.dollr.model.WaitOutcome

// Hand-written, like DollrErrors.kt: the generated `WaitOutcome` is a sealed class whose status
// lives on the execution of each case; code written from the Dollr docs (every status payload
// there has `status`) reads `outcome.status`.

/**
 * The execution's status: `COMPLETED`/`FAILED` when [WaitOutcome.Finished], the last one seen when
 * [WaitOutcome.StillProcessing] (`null` if none was seen).
 */
val WaitOutcome.status: ExecutionStatus?
    get() = when (this) {
        is WaitOutcome.Finished -> execution.status
        is WaitOutcome.StillProcessing -> last?.status
    }
