package example

import app.heydollr.dollr.DollrClient
import app.heydollr.dollr.collectRequest
import app.heydollr.dollr.model.CollectOutcome
import app.heydollr.dollr.model.PayoutOutcome
import app.heydollr.dollr.payoutRequest
import java.math.BigDecimal

/** A user's code: it depends on app.heydollr:dollr only (dollr-testing is for its tests). */
class Payments(private val client: DollrClient) {
    suspend fun collect(phone: String, amount: BigDecimal, currency: String): CollectOutcome =
        client.collect(collectRequest(phone, amount, currency).copy(payerName = "Amara Kamara"))

    suspend fun payout(phone: String, amount: BigDecimal, currency: String, passcode: String, merchantPhone: String): PayoutOutcome =
        client.payout(payoutRequest(phone, amount, currency, passcode, merchantPhone).copy(recipientName = "Musu Doe"))
}
