// Quickstart: pay out to a mobile-money wallet end to end.
//
//   dollr sandbox &                      # the local Dollr simulation on http://127.0.0.1:8787
//   export DOLLR_BASE_URL=http://127.0.0.1:8787 DOLLR_CLIENT_ID=dollr_test_client DOLLR_CLIENT_SECRET=dollr_test_secret
//   export DOLLR_PASSCODE=123456         # the merchant passcode (the sandbox's default)
//   npx tsc -p examples/node && node examples/node/dist/payout.mjs
import { Client, DollrError, PermissionDeniedError, testNumbers } from 'dollr-native';

const passcode = process.env.DOLLR_PASSCODE;
if (!passcode) {
  console.error('set DOLLR_PASSCODE to the merchant passcode (the sandbox: 123456)');
  process.exit(2);
}

const client = new Client();

try {
  const outcome = await client.payout({
    phone: process.env.DOLLR_RECIPIENT_PHONE ?? testNumbers.completes,
    recipientName: 'Musu Doe',
    amount: '10.00',
    currency: 'USD',
    // The passcode and the phone it is tied to; it is sent, never journaled or logged.
    passcode: { code: passcode, phone: process.env.DOLLR_PASSCODE_PHONE ?? '231779999999' },
  });
  const { execution } = outcome;
  console.log(`payout ${execution.status}: ${execution.payeeAmount} ${execution.payeeCurrency} sent, ${execution.payerAmount} ${execution.payerCurrency} debited`);
  if (execution.status === 'FAILED') console.log(`why: ${execution.gatewayMessage ?? execution.walletMessage}`);
  console.log(`reference id ${outcome.referenceId}`);
} catch (error) {
  if (error instanceof PermissionDeniedError) {
    console.error(`refused: ${error.message} (wrong passcode, or the merchant is not verified for payouts)`);
    process.exitCode = 1;
  } else if (error instanceof DollrError) {
    console.error(`${error.code}: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
