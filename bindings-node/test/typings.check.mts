// Compiled (never run) by `tsc -p bindings-node/tsconfig.json`: proves the generated typings are
// usable under --strict, that enums are literal unions, amounts strings and errors typed.
import {
  Client,
  DollrError,
  ValidationError,
  PaymentMethod,
  ExecutionStatus,
  Secret,
  testNumbers,
  type CollectOutcome,
  type Execution,
  type FlowEvent,
  type Decimal,
} from 'dollr-native';
import { startSandbox, type Sandbox } from 'dollr-native/testing';
import * as companion from 'dollr-native-testing';

async function typed(client: Client, sandbox: Sandbox): Promise<Decimal> {
  const party = await client.parties.create({ fullname: 'Musu Doe', phone: testNumbers.completes, countryCode: 'LR' });
  const id: number = party.id;
  const invoice = await client.invoices.create({
    counterpartyId: id,
    currency: 'USD',
    feeBearer: 'PAYER',
    note: 'x',
    asPaymentLink: false,
    dueDate: new Date(),
  });
  await client.invoices.addItem(invoice.id, { name: 'Rice', qty: 2, amount: '12.50', currency: 'USD' });
  const method: PaymentMethod = PaymentMethod.MTN_MOMO_LBR;
  const steps: string[] = [];
  const outcome: CollectOutcome = await client.collect({
    phone: testNumbers.completes,
    payerName: 'Amara',
    currency: 'USD',
    amount: 12.5,
    onEvent: (event: FlowEvent) => {
      if (event.event === 'status_changed') steps.push(event.transition.to);
    },
  });
  const execution: Execution = outcome.execution;
  const done: boolean = execution.status === ExecutionStatus.COMPLETED;
  // @ts-expect-error: an enum is a literal union, not any string
  const wrong: PaymentMethod = 'M_PESA';
  void wrong;
  const secret: Secret | undefined = execution.clientSecret;
  void secret?.expose();
  const waited = await client.status.wait(outcome.referenceId, { operation: 'COLLECTION', timeoutMs: 1000 });
  void waited.state;
  try {
    await client.parties.retrieve(1);
  } catch (error) {
    if (error instanceof ValidationError) {
      const field: string | undefined = error.details[0]?.field;
      void field;
    } else if (error instanceof DollrError) {
      const code: 'NotFound' | string = error.code;
      void code;
    }
  }
  void method;
  void done;
  await sandbox.setFaults({ rules: [{ kind: 'drop_response', scope: 'executions', count: 1 }] });
  const created: number = (await sandbox.stats()).executions.created;
  const status: string = await sandbox.advance(outcome.referenceId, { toFinal: true });
  const balance: string | undefined = (await sandbox.wallets())[0]?.balance;
  // @ts-expect-error: control calls are asynchronous (the sandbox is a child process)
  const notYet: string = sandbox.advance(outcome.referenceId);
  void notYet;
  void [created, status, balance];
  return execution.payeeAmount;
}

// The companion package and `dollr-native/testing` are one module.
const start: typeof companion.startSandbox = startSandbox;
const sandbox: Sandbox = await start({ settleMs: 20, wallets: { USD: '5.00' } });
try {
  await typed(sandbox.client({ maxRetries: 0 }), sandbox);
} finally {
  await sandbox.stop();
}
{
  // `await using` stops it at the end of the block.
  await using scoped = await startSandbox();
  void scoped.url;
}
