package app.heydollr.dollr

import app.heydollr.dollr.model.OperationType
import app.heydollr.dollr.model.Transition
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch

/**
 * Follows the execution [referenceId] and emits each observed status change as it happens, until
 * it is `COMPLETED` or `FAILED` or the options' timeout passes (then the flow completes). For a
 * collection, set [WaitOptions.sessionId] (and [WaitOptions.sourceType], default `INVOICE`): when
 * the client has a Supabase URL and anon key, changes arrive over Supabase Realtime
 * (`transition.channel == StatusChannel.REALTIME`, each confirmed by the status API), polling
 * being the fallback. Cancelling the collector cancels the wait and closes the socket.
 *
 * The wait itself is the core's (`status().wait(..)` with a listener): this only turns its
 * transitions into a cold [Flow].
 */
fun Status.watch(
    operationType: OperationType,
    referenceId: String,
    options: WaitOptions = WaitOptions(),
): Flow<Transition> = callbackFlow {
    val handle = wait(operationType, referenceId, options, transitionListener { trySend(it) })
    launch {
        try {
            handle.result()
            close()
        } catch (e: Throwable) {
            close(e)
        }
    }
    awaitClose { handle.cancel() }
}.buffer(Channel.UNLIMITED)
