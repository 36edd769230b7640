"""The Python code of the docs' Quick Start (docs/quickstart.md), copied as written.

Only BASE_URL and the credentials come from the environment (DOLLR_BASE_URL,
DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET). After the guide's steps, a check that is
not in the guide: poll the collection status until COMPLETED (with a deadline),
then require the source to be PAID and fetch and check the receipt.
Exits non-zero on any failure.
"""
import os
import sys
import time

# ---------------------------------------------------------------------------
# Step 1 — Get an Access Token (as in the guide; base URL and credentials from env)
# ---------------------------------------------------------------------------
import requests

BASE_URL = os.environ["DOLLR_BASE_URL"]

res = requests.post(f"{BASE_URL}/v1/jwt/client/obtain/token", json={
    "client_id":     os.environ["DOLLR_CLIENT_ID"],
    "client_secret": os.environ["DOLLR_CLIENT_SECRET"],
})
token = res.json()["access_token"]
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

# ---------------------------------------------------------------------------
# Step 2 — Create a Party
# ---------------------------------------------------------------------------
party = requests.post(f"{BASE_URL}/v1/parties/create", headers=headers, json={
    "fullname":     "Amara Kamara",
    "phone":        "231771234567",
    "email":        "amara@example.com",
    "country_code": "LR",
}).json()

party_id = party["id"]

# ---------------------------------------------------------------------------
# Step 3 — Create a Counterparty
# ---------------------------------------------------------------------------
cp = requests.post(f"{BASE_URL}/v1/counterparties/create", headers=headers, json={
    "relationship_type": "CUSTOMER",
    "party_id":          party_id,
}).json()

counterparty_id = cp["id"]

# ---------------------------------------------------------------------------
# Step 4 — Create and Publish an Invoice
# ---------------------------------------------------------------------------
# Create invoice
invoice = requests.post(f"{BASE_URL}/v1/invoices/create", headers=headers, json={
    "counterparty_id": counterparty_id,
    "currency":        "USD",
    "note":            "Consulting services",
    "fee_bearer":      "PAYER",
    "as_payment_link": True,
}).json()
invoice_id = invoice["id"]

# Add a line item
requests.post(f"{BASE_URL}/v1/invoices/{invoice_id}/items/add", headers=headers, json={
    "name":     "Strategy Session",
    "currency": "USD",
    "qty":      1,
    "amount":   250.00,
})

# Publish
invoice = requests.put(f"{BASE_URL}/v1/invoices/publish/{invoice_id}", headers=headers).json()
print("Status:", invoice["status"])  # ACTIVE

# ---------------------------------------------------------------------------
# Step 5 — Collect Payment
# ---------------------------------------------------------------------------
from uuid import uuid4

# Detect payment method from phone
mmo = requests.get(f"{BASE_URL}/v1/predictions/mmo-provider-info", headers=headers, params={
    "phone": "231771234567", "operation_type": "COLLECTION",
}).json()
payment_method = mmo["payment_method"]
provider       = mmo["gateway_provider"]

# Create checkout session
session = requests.post(f"{BASE_URL}/v1/sessions/checkout", headers=headers, json={
    "source_id":   invoice_id,
    "source_type": "INVOICE",
}).json()
session_id = session["id"]

# Register customer wallet
account = requests.post(
    f"{BASE_URL}/v1/payment-accounts/create",
    headers=headers,
    params={"operation_type": "COLLECTION"},
    json={
        "account_name":               "Amara MTN Wallet",
        "provider":                   provider,
        "method":                     payment_method,
        "party_id":                   party_id,
        "country_code":               "LR",
        "insensitive_account_number": "231771234567",
    },
).json()

# Execute — generate and store reference_id BEFORE the call
reference_id = str(uuid4())
execution = requests.post(f"{BASE_URL}/v1/executions/collection", headers=headers, json={
    "session_id":         str(session_id),
    "payment_account_id": str(account["id"]),
    "currency":           "USD",
    "reference_id":       reference_id,
}).json()
print("Execution status:", execution["status"])

# ---------------------------------------------------------------------------
# Step 6 — Check Payment Status
# ---------------------------------------------------------------------------
status = requests.get(
    f"{BASE_URL}/v1/status/collection/{reference_id}",
    headers=headers,
).json()
print(status["status"])  # PENDING → PROCESSING → COMPLETED

# ===========================================================================
# Not in the guide: wait for the outcome, then verify source status and receipt.
# ===========================================================================


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


deadline = time.monotonic() + float(os.environ.get("DOLLR_POLL_DEADLINE_SECONDS", "30"))
seen = [status["status"]]
while status["status"] not in ("COMPLETED", "FAILED"):
    if time.monotonic() > deadline:
        fail(f"collection still {status['status']} at the deadline")
    time.sleep(0.05)
    status = requests.get(f"{BASE_URL}/v1/status/collection/{reference_id}", headers=headers).json()
    if status["status"] != seen[-1]:
        seen.append(status["status"])
print("Status progression:", " -> ".join(seen))
if status["status"] != "COMPLETED":
    fail(f"collection ended {status['status']}: {status.get('gateway_message')}")
if execution["reference_id"] != reference_id or status["reference_id"] != reference_id:
    fail("reference_id not echoed")

source = requests.get(
    f"{BASE_URL}/v1/status/source",
    headers=headers,
    params={"source_type": "INVOICE", "source_id": invoice_id},
)
if source.status_code != 200 or source.json()["status"] != "PAID":
    fail(f"source not PAID: {source.status_code} {source.text}")

receipt_res = requests.get(f"{BASE_URL}/v1/invoices/receipt/{invoice_id}", headers=headers)
if receipt_res.status_code != 200:
    fail(f"receipt: {receipt_res.status_code} {receipt_res.text}")
receipt = receipt_res.json()
checks = {
    "invoice_id": invoice_id,
    "status": "PAID",
    "currency": "USD",
    "total_amount": 250.0,
    "payee_amount": 250.0,
    "payer_currency": "USD",
    "payment_method": "MTN_MOMO_LBR",
    "counterparty_name": "Amara Kamara",
    "counterparty_phone": "231771234567",
}
for key, want in checks.items():
    if receipt.get(key) != want:
        fail(f"receipt[{key!r}] = {receipt.get(key)!r}, want {want!r}")
fees = receipt["platform_fee"] + receipt["gateway_fee"]
if abs(receipt["payer_amount"] - (250.0 + fees)) > 1e-9:
    fail(f"payer_amount {receipt['payer_amount']} != total + fees {250.0 + fees}")
if len(receipt["items"]) != 1 or receipt["items"][0]["name"] != "Strategy Session":
    fail(f"receipt items: {receipt['items']}")
print("Receipt:", receipt["invoice_number"], receipt["payer_amount"], receipt["payer_currency"])
print("OK")
