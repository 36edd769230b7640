// The docs' realtime guide (guides/realtime-status.mdx, Step 2) with the official
// @supabase/supabase-js client, unchanged except for where its values come from (the
// environment) and for Node 20, which has no global WebSocket: the `ws` transport.
//
// Prints "SUBSCRIBED" once the channel is joined, then "STATUS <status>" for each change,
// and exits 0 after COMPLETED or FAILED (1 on CHANNEL_ERROR, TIMED_OUT, or no final status
// within DEADLINE_MS).
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";

const realtimeKey = { access_token: process.env.REALTIME_KEY };
const sessionId = process.env.SESSION_ID;
const referenceId = process.env.REFERENCE_ID;
const deadline = setTimeout(() => {
  console.error("FAIL: no final status before the deadline");
  process.exit(1);
}, Number(process.env.DEADLINE_MS ?? 20000));

const supabase = createClient(
  process.env.SUPABASE_URL,
  process.env.SUPABASE_ANON_KEY,
  {
    auth: { autoRefreshToken: false, persistSession: false },
    accessToken: async () => realtimeKey.access_token,
    realtime: { transport: WebSocket },
  }
);
supabase.realtime.setAuth(realtimeKey.access_token);

const channel = supabase.channel(
  `payment-intent:${sessionId}:${referenceId}`
);

channel
  .on(
    "postgres_changes",
    {
      event: "*",
      schema: "public",
      table: "checkout_payment_intent_public_status",
      filter: `reference_id=eq.${referenceId}`,
    },
    (payload) => {
      const row = payload.new;
      console.log(`STATUS ${row.status} ${payload.eventType}`);
      if (row.status === "COMPLETED" || row.status === "FAILED") {
        clearTimeout(deadline);
        supabase.removeChannel(channel).then(() => process.exit(0));
      }
    }
  )
  .subscribe((status, err) => {
    if (status === "SUBSCRIBED") console.log("SUBSCRIBED");
    if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") {
      console.error(`FAIL: ${status} ${err ?? ""}`);
      process.exit(1);
    }
  });
