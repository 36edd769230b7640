"""The client takes the core's one ``ClientOptions``: the options new to Python reach the core."""

from __future__ import annotations

from datetime import timedelta

import pytest

import dollr
from dollr.testing import Sandbox


def test_ignore_env_leaves_the_environment_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOLLR_CLIENT_ID", "from-env")
    monkeypatch.setenv("DOLLR_CLIENT_SECRET", "from-env-secret")
    with dollr.Client(base_url="http://127.0.0.1:9") as client:
        assert client.client_id == "from-env"
    with pytest.raises(dollr.ValidationError) as caught:
        dollr.Client(base_url="http://127.0.0.1:9", ignore_env=True)
    assert caught.value.details[0].field == "client_id"


def test_a_bad_duration_option_is_refused_naming_it_as_python_spells_it() -> None:
    for option in ("connect_timeout", "initial_backoff", "max_backoff", "max_retry_after"):
        with pytest.raises(dollr.ValidationError) as caught:
            dollr.Client(client_id="id", client_secret="s", **{option: -1})  # type: ignore[arg-type]
        assert caught.value.details[0].field == option


def test_max_retry_after_reaches_the_core(dollr_sandbox: Sandbox) -> None:
    # The API asks to wait 2 s; a client that waits at most 1 s inside a call surfaces the 429
    # for the caller to schedule instead of waiting (the default waits up to 60 s, and succeeds).
    with dollr.Client(
        client_id=dollr_sandbox.client_id,
        client_secret=dollr_sandbox.client_secret,
        base_url=dollr_sandbox.url,
        max_retry_after=timedelta(seconds=1),
        initial_backoff=0.001,
        max_backoff=0.01,
        ignore_env=True,
    ) as client:
        client.parties.list()  # the token is fetched: the fault hits the call itself
        dollr_sandbox.add_fault({"kind": "rate_limit", "retry_after": 2, "count": 1})
        with pytest.raises(dollr.RateLimitError):
            client.parties.list()
