"""The reminders `make run` shows (scripts/demo_data.py, loaded into the session's stack by tests/conftest.py):
the demo's office urge, its inspection's major problem and overdue rectification are in the inboxes of the
demo logins they concern, through the gateway (GET /api/v1/messages), with names and item numbers."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from scripts.stack import Stack
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def inbox(stack: Stack, username: str) -> list[dict[str, Any]]:
    reply = requests.get(f"{stack.url}/api/v1/messages?page_size=200", headers=token(stack, username), timeout=10)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["messages"])


def arrived(stack: Stack, username: str, cause: str, saying: str = "", timeout: float = 60.0) -> dict[str, Any]:
    """The login's first message of `cause` (saying that): the events cross the broker after the demo
    loader's calls, and other tests of the session's stack add their own."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in inbox(stack, username) if m["cause"] == cause and saying in m["text"]]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {cause} message for {username}"
        time.sleep(0.5)


def test_the_demo_logins_have_their_reminders(stack: Stack) -> None:
    urge = arrived(stack, "fgj", "item_urged", "请于本周五前报送年度投资计划调度进展")
    assert urge["recipient_name"] == "陈静" and urge["why"] == "responsible_person"
    assert urge["text"].startswith("区发展和改革局：") and urge["item_no"] in urge["text"]
    for username in ("leader", "zhuren"):
        major = arrived(stack, username, "escalation")
        assert major["urgent"] and major["link"].startswith("/inspection/escalations/")
    late = arrived(stack, "jyj", "rectification_overdue")
    assert late["text"].startswith("区教育局：") and "整改已超过时限" in late["text"]
    assert all(m["cause"] != "escalation" for m in inbox(stack, "kaohe"))
