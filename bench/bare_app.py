"""The baseline for the gateway benchmark: a minimal Flask app served by the same gunicorn settings.

`/api/v1/items` makes the same ListItems gRPC call as the gateway's item list (same channel options,
deadline and page size, the query's unit_id passed through as the filter) and returns the same JSON
(the same proto3-JSON conversion), without accounts, scoping, audit, CSRF or metrics. The gateway's
rate divided by this one's is the cost of the gateway's own work. `/hello` is a pure hello world.
`POST /upload` takes a multipart form with photos and answers 201 with their sizes: the raw stack under the
gateway's finding upload (the inspection benchmark), without checking, storing or forwarding anything.

Run: gunicorn 'bench.bare_app:create_app()' with DUBAN_LEDGER_ADDR set, or `start(stack, home)`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, request
from google.protobuf import json_format

from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common import call_auth
from libs.common.broker import free_port, wait_for_port
from libs.common.config import call_auth_from_env

if TYPE_CHECKING:
    from scripts.stack import ServiceProcess, Stack


def create_app() -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # as the gateway
    # Signed as the gateway signs (the ledger refuses a call without a token); the gateway itself acts.
    signer = call_auth.signer_for(call_auth_from_env(), "gateway", people=True)
    assert signer is not None, "DUBAN_CALL_SIGNING_KEY is required"
    channel = call_auth.signed_channel(
        os.environ.get("DUBAN_LEDGER_ADDR", "127.0.0.1:50051"), signer, "ledger",
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    timeout = float(os.environ.get("DUBAN_GRPC_TIMEOUT_SECONDS", "10"))

    @app.get("/hello")
    def hello():
        return "Hello, World!"

    @app.post("/upload")
    def upload():
        sizes = [len(f.read()) for f in request.files.getlist("photos")]
        return {"fields": len(request.form), "sizes": sizes}, 201

    @app.get("/api/v1/items")
    def items():
        filter_ = ledger_pb2.ItemFilter(unit_ids=[request.args["unit_id"]] if request.args.get("unit_id") else [])
        page = stub.ListItems(
            ledger_pb2.ListItemsRequest(filter=filter_, page_size=int(request.args.get("page_size", 50))),
            timeout=timeout,
            wait_for_ready=True,
        )
        return {
            "items": [
                json_format.MessageToDict(
                    i, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
                )
                for i in page.items
            ],
            "next_page_token": page.next_page_token,
        }

    return app


def start(stack: Stack, home: Path) -> tuple[ServiceProcess, str]:
    """This app under the gateway's own gunicorn settings (workers, worker class, threads), beside the
    stack's ledger: (its process, its URL). The caller stops the process."""
    from scripts.stack import ServiceProcess
    from services.gateway import gunicorn_conf

    port = free_port()
    env = dict(stack.processes["gateway"].env)
    env["DUBAN_LEDGER_ADDR"] = stack.addr("ledger")
    bare = ServiceProcess(
        "bare-flask",
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(stack.http_workers),
         # The gateway's worker kind too (threads, keep-alive), so the baseline differs only in the app.
         "--worker-class", gunicorn_conf.worker_class, "--threads", str(gunicorn_conf.threads),
         "--no-control-socket", "--graceful-timeout", "10", "bench.bare_app:create_app()"],
        env, home / "logs" / "bare.log")
    bare.start()
    wait_for_port("127.0.0.1", port, timeout=30)
    return bare, f"http://127.0.0.1:{port}"
