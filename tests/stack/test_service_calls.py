"""The embedded stack's services as an outsider on the same machine finds them: listening on loopback
only, and refusing any call that does not carry a token signed by a key the stack trusts."""

from __future__ import annotations

import grpc
import pytest
import requests

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import call_auth
from scripts.stack import Stack
from tests.stack.test_ledger_flow import token

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL

FORGED = common_pb2.Actor(user_id="999", name="伪造督查室", role="office", unit_id="dcs")


def listening(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp{,6} writes them) listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


# 127.0.0.1, ::1, and 127.0.0.1 as an IPv6 socket holds it (::ffff:127.0.0.1)
LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


def test_every_port_of_the_stack_is_on_loopback_only(stack: Stack) -> None:
    ports = {name: port for name, port in stack.ports.items() if name != "broker"} | {"http": stack.http_port}
    for name, port in ports.items():
        addresses = listening(port)
        assert addresses and addresses <= LOOPBACK, (name, port, addresses)


def test_a_forged_call_to_a_service_is_refused(stack: Stack) -> None:
    items_before = requests.get(f"{stack.url}/api/v1/items", headers=token(stack, "office"), params={"page_size": 1},
                                timeout=10)
    assert items_before.status_code == 200
    item_id = items_before.json()["items"][0]["id"]
    with grpc.insecure_channel(stack.addr("tracking")) as bare:
        stub = tracking_pb2_grpc.TrackingServiceStub(bare)
        with pytest.raises(grpc.RpcError) as err:
            stub.UrgeUnit(tracking_pb2.UrgeUnitRequest(item_id=item_id, unit_id="fgj", method="phone", text="伪造",
                                                       actor=FORGED), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with grpc.insecure_channel(stack.addr("ledger")) as bare:
        with pytest.raises(grpc.RpcError) as err:
            ledger_pb2_grpc.LedgerServiceStub(bare).ListItems(ledger_pb2.ListItemsRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # A key of the attacker's own making under the gateway's key id is no better.
    stranger, _ = call_auth.generate("gateway", "gateway-1", people=True)
    with call_auth.signed_channel(stack.addr("ledger"), stranger, "ledger") as forged:
        with pytest.raises(grpc.RpcError) as err:
            ledger_pb2_grpc.LedgerServiceStub(forged).ListItems(ledger_pb2.ListItemsRequest(), timeout=10)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # The stack's own signer is accepted (the keys are the stack's, fresh at every start).
    with stack.channel("ledger") as ours:
        assert ledger_pb2_grpc.LedgerServiceStub(ours).ListItems(ledger_pb2.ListItemsRequest(), timeout=10).items
    for service in ("ledger", "tracking"):  # each counts what it refused
        metrics = requests.get(f"http://127.0.0.1:{stack.metrics_port(service)}/metrics", timeout=10).text
        assert f'duban_grpc_calls_refused_total{{reason="missing",service="{service}"}}' in metrics, service
