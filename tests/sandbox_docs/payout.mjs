// The Node.js code of the docs' payout guide (docs/guides/payout-with-nodejs.mdx),
// as written. Only BASE_URL comes from the environment (DOLLR_BASE_URL); the guide
// itself already reads DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET and MERCHANT_PASSCODE.
// The guide needs a recipient party first: it is created with the Quick Start's
// JavaScript (docs/quickstart.md, Step 2).
//
// After the guide's steps, checks that are not in the guide:
// - normally: poll the payout status until COMPLETED (with a deadline);
// - with EXPECT_PASSCODE_REFUSAL=1 (a wrong MERCHANT_PASSCODE): the payout must be
//   refused with 403 {"detail": "Invalid passcode"} and nothing executed.
// Exits non-zero on any failure.

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

// ---- Authenticate (guide) --------------------------------------------------
const BASE_URL = process.env.DOLLR_BASE_URL;

const tokenRes = await fetch(`${BASE_URL}/v1/jwt/client/obtain/token`, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({
    client_id: process.env.DOLLR_CLIENT_ID,
    client_secret: process.env.DOLLR_CLIENT_SECRET,
  }),
});
const tokenData = await tokenRes.json();
const headers = {
  Authorization: `Bearer ${tokenData.access_token}`,
  "Content-Type": "application/json",
};

// ---- Recipient party (Quick Start, Step 2, JavaScript) ----------------------
const party = await fetch(`${BASE_URL}/v1/parties/create`, {
  method: "POST", headers,
  body: JSON.stringify({
    fullname:     "Amara Kamara",
    phone:        "231771234567",
    email:        "amara@example.com",
    country_code: "LR",
  }),
}).then(r => r.json());

const partyId = party.id;

// ---- Payment account (recipient wallet) (guide) -----------------------------
const account = await fetch(
  `${BASE_URL}/v1/payment-accounts/create?operation_type=PAYOUT`,
  {
    method: "POST",
    headers,
    body: JSON.stringify({
      account_name: "Beneficiary MTN Wallet",
      provider: "MTN_MOMO_LBR",
      method: "MTN_MOMO_LBR",
      party_id: partyId,
      country_code: "LR",
      insensitive_account_number: "231771234567",
    }),
  }
).then((r) => r.json());

// ---- Payout session (guide) -------------------------------------------------
const session = await fetch(`${BASE_URL}/v1/sessions/payout`, {
  method: "POST",
  headers,
  body: JSON.stringify({
    payout_account_id: account.id,
    amount: 100.0,
    currency: "USD",
  }),
}).then((r) => r.json());

// ---- Execute payout (guide) -------------------------------------------------
const referenceId = crypto.randomUUID();

const execution = await fetch(`${BASE_URL}/v1/executions/payout`, {
  method: "POST",
  headers,
  body: JSON.stringify({
    session_id: String(session.id),
    payout_account_id: String(account.id),
    reference_id: referenceId,
    passcode: {
      token: {
        phone: "231771234567",
        code: process.env.MERCHANT_PASSCODE,
      },
      device: {
        name: "Payout Server",
        type: "SERVER",
        platform: "NODE",
        user_agent: "dollr-payout/1.0",
        client_ip: "203.0.113.10",
      },
    },
  }),
}).then((r) => r.json());

// ---- Poll status (guide) ----------------------------------------------------
const status = await fetch(
  `${BASE_URL}/v1/status/payout/${referenceId}`,
  { headers }
).then((r) => r.json());

console.log(status.status); // PENDING → PROCESSING → COMPLETED | FAILED

// ============================================================================
// Not in the guide: the checks.
// ============================================================================
if (!tokenRes.ok) fail(`token: ${tokenRes.status}`);
if (typeof session.wallet_id !== "number" || typeof session.expires_at !== "string") {
  fail(`payout session lacks wallet_id/expires_at: ${JSON.stringify(session)}`);
}

if (process.env.EXPECT_PASSCODE_REFUSAL === "1") {
  if (execution.detail !== "Invalid passcode") {
    fail(`expected the payout to be refused, got ${JSON.stringify(execution)}`);
  }
  // The same request again, this time looking at the HTTP status.
  const again = await fetch(`${BASE_URL}/v1/executions/payout`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      session_id: String(session.id),
      payout_account_id: String(account.id),
      reference_id: referenceId,
      passcode: {
        token: { phone: "231771234567", code: process.env.MERCHANT_PASSCODE },
        device: {
          name: "Payout Server", type: "SERVER", platform: "NODE",
          user_agent: "dollr-payout/1.0", client_ip: "203.0.113.10",
        },
      },
    }),
  });
  if (again.status !== 403) fail(`expected 403, got ${again.status}`);
  const lookup = await fetch(`${BASE_URL}/v1/status/payout/${referenceId}`, { headers });
  if (lookup.status !== 404) fail(`nothing must be executed, status lookup gave ${lookup.status}`);
  console.log("Refused as expected: 403 Invalid passcode");
  console.log("OK");
  process.exit(0);
}

if (execution.reference_id !== referenceId || execution.operation_type !== "PAYOUT") {
  fail(`unexpected execution: ${JSON.stringify(execution)}`);
}
const deadline = Date.now() + Number(process.env.DOLLR_POLL_DEADLINE_SECONDS ?? "30") * 1000;
let current = status;
const seen = [current.status];
while (current.status !== "COMPLETED" && current.status !== "FAILED") {
  if (Date.now() > deadline) fail(`payout still ${current.status} at the deadline`);
  await new Promise((r) => setTimeout(r, 50));
  current = await fetch(`${BASE_URL}/v1/status/payout/${referenceId}`, { headers }).then((r) => r.json());
  if (current.status !== seen[seen.length - 1]) seen.push(current.status);
}
console.log("Status progression:", seen.join(" -> "));
if (current.status !== "COMPLETED") fail(`payout ended ${current.status}: ${current.gateway_message}`);
if (current.payee_amount !== 100 || current.payee_currency !== "USD") {
  fail(`unexpected amounts: ${JSON.stringify(current)}`);
}
console.log("OK");
