"""The official `realtime` client from PyPI (supabase-py's) subscribing to a payment's status.

Prints "SUBSCRIBED" once the channel is joined, then "STATUS <status>" for each change, and exits
0 after COMPLETED or FAILED (1 on an error or no final status within DEADLINE_MS).
"""

import asyncio
import os
import sys

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates


async def main() -> int:
    url = os.environ["SUPABASE_URL"].replace("http", "ws", 1) + "/realtime/v1"
    client = AsyncRealtimeClient(url, os.environ["SUPABASE_ANON_KEY"])
    await client.connect()
    await client.set_auth(os.environ["REALTIME_KEY"])
    reference_id = os.environ["REFERENCE_ID"]
    channel = client.channel(f"payment-intent:{os.environ['SESSION_ID']}:{reference_id}")
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_change(payload: dict) -> None:
        row = payload["data"]["record"]
        kind = payload["data"]["type"]
        print(f"STATUS {row['status']} {getattr(kind, 'value', kind)}", flush=True)
        if row["status"] in ("COMPLETED", "FAILED") and not done.done():
            done.set_result(0)

    def on_subscribe(state: RealtimeSubscribeStates, error: Exception | None) -> None:
        if state == RealtimeSubscribeStates.SUBSCRIBED:
            print("SUBSCRIBED", flush=True)
        elif not done.done():
            print(f"FAIL: {state} {error}", file=sys.stderr, flush=True)
            done.set_result(1)

    channel.on_postgres_changes(
        "*",
        schema="public",
        table="checkout_payment_intent_public_status",
        filter=f"reference_id=eq.{reference_id}",
        callback=on_change,
    )
    await channel.subscribe(on_subscribe)
    try:
        code = await asyncio.wait_for(done, int(os.environ.get("DEADLINE_MS", "20000")) / 1000)
    except asyncio.TimeoutError:
        print("FAIL: no final status before the deadline", file=sys.stderr, flush=True)
        code = 1
    await channel.unsubscribe()
    await client.close()
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
