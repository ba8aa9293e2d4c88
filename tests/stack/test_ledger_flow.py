"""The whole stack as processes: register through the gateway, read events, kill and restart the ledger."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from libs.common import topics
from libs.common.testing import EventReader
from scripts.demo_data import DEMO_PASSWORD
from scripts.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def token(stack: Stack, username: str) -> dict[str, str]:
    reply = requests.post(f"{stack.url}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=10)
    assert reply.status_code == 201, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def register(stack: Stack, headers: dict[str, str], title: str, key: str) -> requests.Response:
    return requests.post(f"{stack.url}/api/v1/items", headers={**headers, "Idempotency-Key": key}, timeout=10,
                         json={"title": title, "source": "leader_assignment", "category": "general",
                               "lead_unit_id": "fgj", "responsible_leader_id": "ld-li"})


def test_register_through_gateway_reaches_kafka_and_scoped_lists(stack: Stack) -> None:
    office, fgj, jyj = token(stack, "office"), token(stack, "fgj"), token(stack, "jyj")
    created = register(stack, office, f"全栈立项{uuid.uuid4().hex[:6]}", str(uuid.uuid4()))
    assert created.status_code == 201
    item = created.json()
    assert item["item_no"] and item["light"] == "green"
    assert requests.get(f"{stack.url}/api/v1/items/{item['id']}", headers=fgj, timeout=10).status_code == 200
    assert requests.get(f"{stack.url}/api/v1/items/{item['id']}", headers=jyj, timeout=10).status_code == 404
    assert stack.broker is not None
    reader = EventReader(stack.broker.bootstrap, topics.LEDGER_EVENTS)
    try:
        events = reader.poll_until(lambda evs: any(e.subject == item["id"] for e in evs))
    finally:
        reader.close()
    assert [e.type for e in events if e.subject == item["id"]] == ["item.registered"]


@pytest.mark.slow
def test_ledger_killed_mid_flow_loses_and_doubles_nothing(stack: Stack) -> None:
    office = token(stack, "office")
    tag = uuid.uuid4().hex[:6]
    keys = [str(uuid.uuid4()) for _ in range(10)]
    for i, key in enumerate(keys[:5]):
        assert register(stack, office, f"重启{tag}-{i}", key).status_code == 201
    stack.processes["ledger"].kill()  # SIGKILL: no graceful shutdown
    down = register(stack, office, f"重启{tag}-down", str(uuid.uuid4()))
    assert down.status_code == 503 and down.headers["Content-Type"].startswith("application/problem+json")
    stack.start_service("ledger")
    # The client retries the first five (same Idempotency-Key) and sends the next five.
    replays = [register(stack, office, f"重启{tag}-{i}", key) for i, key in enumerate(keys[:5])]
    assert [r.status_code for r in replays] == [200] * 5  # replayed, not registered again
    for i, key in enumerate(keys[5:], start=5):
        assert register(stack, office, f"重启{tag}-{i}", key).status_code == 201
    listed = requests.get(f"{stack.url}/api/v1/items", params={"q": f"重启{tag}", "include_total": "true"},
                          headers=office, timeout=10).json()
    assert listed["total_size"] == 10
    numbers = sorted(int(i["item_no"].split("-")[1]) for i in listed["items"])
    assert numbers == list(range(numbers[0], numbers[0] + 10))  # gap-free across the crash
    ids = {i["id"] for i in listed["items"]}
    assert stack.broker is not None
    reader = EventReader(stack.broker.bootstrap, topics.LEDGER_EVENTS)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            events = reader.poll_until(lambda evs: {e.subject for e in evs} >= ids, timeout=5)
            if {e.subject for e in events} >= ids:
                break
    finally:
        reader.close()
    registered = [e for e in events if e.subject in ids and e.type == "item.registered"]
    assert len({e.subject for e in registered}) == 10  # none lost
    assert len({e.id for e in registered}) == 10  # each item announced by exactly one event id


def test_metrics_of_every_process(stack: Stack) -> None:
    register(stack, token(stack, "office"), f"指标{uuid.uuid4().hex[:6]}", str(uuid.uuid4()))
    gateway = requests.get(f"http://127.0.0.1:{stack.metrics_port('gateway')}/metrics", timeout=10).text
    assert 'gateway_http_requests_total{method="POST",route="/api/v1/items",status="201"}' in gateway
    ledger = requests.get(f"http://127.0.0.1:{stack.metrics_port('ledger')}/metrics", timeout=10).text
    assert 'duban_grpc_server_handled_total{code="OK",method="RegisterItem",service="ledger"}' in ledger
    assert "ledger_items_registered_total" in ledger and "duban_outbox_published_total" in ledger
    assert requests.get(f"{stack.url}/metrics", timeout=10).status_code == 404  # not on the public portal


def test_sigterm_stops_the_ledger_gracefully(stack: Stack) -> None:
    ledger = stack.processes["ledger"]
    ledger.stop()  # SIGTERM: health NOT_SERVING, in-flight calls finish, relay stops, exit 0
    assert ledger.process is not None and ledger.process.returncode == 0
    assert '"msg": "ledger: stopped"' in ledger.log_path.read_text()
    stack.start_service("ledger")
    office = token(stack, "office")
    assert register(stack, office, f"重启后{uuid.uuid4().hex[:6]}", str(uuid.uuid4())).status_code == 201
