package app.heydollr.dollr

import app.heydollr.dollr.model.FlowListener
import app.heydollr.dollr.model.FlowProgress
import app.heydollr.dollr.model.Transition

// Lambdas for the listener interfaces (uniffi generates plain interfaces, which Kotlin does not
// convert from lambdas): `client.collect(request, flowListener { println(it.message) })`.

/** A [FlowListener] that calls [block] for each step of a flow (on an SDK thread). */
fun flowListener(block: (FlowProgress) -> Unit): FlowListener = object : FlowListener {
    override fun onProgress(progress: FlowProgress) = block(progress)
}

/** A [TransitionListener] that calls [block] for each status change a wait observes. */
fun transitionListener(block: (Transition) -> Unit): TransitionListener = object : TransitionListener {
    override fun onTransition(transition: Transition) = block(transition)
}
