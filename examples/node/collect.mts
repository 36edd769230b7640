// Quickstart: collect a mobile-money payment end to end.
//
//   dollr sandbox &                      # the local Dollr simulation on http://127.0.0.1:8787
//   export DOLLR_BASE_URL=http://127.0.0.1:8787 DOLLR_CLIENT_ID=dollr_test_client DOLLR_CLIENT_SECRET=dollr_test_secret
//   npx tsc -p examples/node && node examples/node/dist/collect.mjs
//
// The client reads its credentials and base URL from the environment (DOLLR_CLIENT_ID,
// DOLLR_CLIENT_SECRET, DOLLR_BASE_URL) unless you pass them to `new Client({...})`.
import { Client, DollrError, testNumbers } from 'dollr-native';

const client = new Client();

try {
  const outcome = await client.collect({
    phone: process.env.DOLLR_PAYER_PHONE ?? testNumbers.completes, // the sandbox's "completes" number
    payerName: 'Amara Kamara',
    currency: 'USD',
    amount: '250.00', // money is a decimal string, never a float
    onEvent: (event) => console.log(`  ${event.event}: ${'message' in event ? event.message : event.to}`),
  });
  const { execution } = outcome;
  console.log(`invoice ${outcome.sourceNumber}: ${execution.status}`);
  console.log(`payer paid ${execution.payerAmount} ${execution.payerCurrency}; you receive ${execution.payeeAmount} ${execution.payeeCurrency}`);
  console.log(`reference id ${outcome.referenceId} (keep it: it resumes this payment)`);
  if (!outcome.settled) console.log('still in flight: resume with client.status.wait(...), never pay again');
} catch (error) {
  if (error instanceof DollrError) {
    console.error(`${error.code}: ${error.message}`, error.referenceId ? `(reference id ${error.referenceId})` : '');
    process.exitCode = 1;
  } else {
    throw error;
  }
}
