"""Gateway benchmark: GET /api/v1/items (bearer token, scoping on) beside a bare Flask endpoint.

The embedded stack (scripts/stack.py: broker, ledger and gateway as processes, gunicorn with its
worker count) runs on a ledger of realistic items; a second gunicorn with the same settings serves
bench/bare_app.py. wrk (Debian's) drives each endpoint in turn on loopback for a fixed duration.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import bare_app, fixture
from bench.machine import MONITOR, settle, tree_cpu_seconds
from bench.procs import FIXED_NOW, Deadline, sqlite_url
from bench.report import Table, verdict
from libs.common.db import make_engine
from scripts import demo_data
from scripts.stack import ServiceProcess, Stack

TODAY = dt.datetime.fromisoformat(FIXED_NOW).date()
RATIO_TARGET = 0.5
WRK = "/usr/bin/wrk"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers plus socket errors
    error_kinds: str = ""  # e.g. "timeout 1" (wrk counts a request over --timeout as a timeout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (done and rate and p50 and p99):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    kinds: dict[str, int] = {}
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        kinds["non-2xx/3xx"] = int(bad.group(1))
    if sock := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        kinds.update(zip(("connect", "read", "write", "timeout"), (int(x) for x in sock.groups()), strict=True))
    errors = sum(kinds.values())
    return WrkResult(
        int(done.group(1)),
        _ms(done.group(2) + done.group(3)) / 1000,
        float(rate.group(1)),
        _ms(p50.group(1)),
        _ms(p99.group(1)),
        errors,
        ", ".join(f"{kind} {n}" for kind, n in kinds.items() if n),
    )


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> WrkResult:
    """One bounded wrk run on loopback (its own -d bound, and a hard timeout around it)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the load generator targets loopback only")
    argv = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    out = subprocess.run(argv + [url], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    return parse_wrk(out)


def _get_ok(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> requests.Response:
    deadline = Deadline(timeout)
    last = None
    while not deadline.passed:
        try:
            reply = requests.get(url, headers=headers, timeout=10)
            if reply.status_code == 200:
                return reply
            last = f"{reply.status_code} {reply.text[:300]}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"GET {url} never answered 200: {last}")


def run(quick: bool, state: Path) -> list[Table]:
    seconds = 5 if quick else 10
    connections = 8
    items = 10_000
    home = state / "gateway-stack"
    home.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(home, "ledger-fixture")
    engine = make_engine(url)
    fixture.load(engine, items, TODAY)
    engine.dispose()
    stack = Stack(
        state_dir=home,
        free_ports=True,
        database_urls={"ledger": url},
        extra_env={"DUBAN_FIXED_NOW": FIXED_NOW, "DUBAN_LOG_LEVEL": "WARNING"},  # no per-request logs either way
    )
    bare: ServiceProcess | None = None
    table = Table(
        "B. Gateway: GET /api/v1/items beside a bare Flask endpoint (same gunicorn settings)",
        f"wrk -t2 -c{connections} -d{seconds}s on loopback, one endpoint at a time; gunicorn "
        f"--workers {stack.http_workers} (the stack's setting) for both;\nthe ledger (ListItems, page 50, "
        f"{items:,} items on SQLite) is the same process for both. The bare endpoint makes the same\n"
        "ListItems call and returns the same JSON without accounts/scoping/audit/metrics.\n"
        "'web CPU': gunicorn master + workers, 'ledger CPU': the ledger process, per request; 'other CPU':\n"
        "cores used by processes outside the benchmark meanwhile. 'vs hello': the row's rate as a share of the\n"
        "first row's (the raw stack's yardstick). The item page rows read one item registered through the API\n"
        "(its JSON, its tracking view, and the page itself with a signed-in session); 'tracking CPU' is for them.",
        [
            "endpoint",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p99 ms",
            "web CPU ms/req",
            "ledger CPU ms/req",
            "tracking CPU ms/req",
            "other CPU",
            "vs bare",
            "vs hello",
            "target",
            "result",
        ],
    )
    try:
        stack.start()
        gw_db = stack.processes["gateway"].env["DUBAN_DATABASE_URL"]
        demo_data.load(stack.addr("ledger"), gw_db, stack.signer())
        tokens = {}
        for username in ("office", "fgj"):
            reply = requests.post(
                f"{stack.url}/api/v1/auth/token",
                timeout=30,
                json={"username": username, "password": demo_data.DEMO_PASSWORD, "name": "bench"},
            )
            reply.raise_for_status()
            tokens[username] = reply.json()["token"]
        item_id, page_cookie = _item_for_the_page(stack.url, tokens["office"])
        bare, bare_url = bare_app.start(stack, home)

        def auth(user: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[user]}"}

        # The same call: the gateway's answer and the bare endpoint's carry the same items.
        for user, query in (("office", ""), ("fgj", "?unit_id=fgj")):
            gw = _get_ok(f"{stack.url}/api/v1/items", auth(user)).json()
            raw = _get_ok(f"{bare_url}/api/v1/items{query}").json()
            if [i["id"] for i in gw["items"]] != [i["id"] for i in raw["items"]] or len(gw["items"]) != 50:
                raise RuntimeError(f"gateway and bare endpoint disagree for {user}")
            if gw["items"][0] != raw["items"][0]:
                raise RuntimeError("gateway and bare endpoint return different JSON for the same item")
        _get_ok(f"{bare_url}/hello")

        gateway_pid = stack.processes["gateway"].process.pid  # type: ignore[union-attr]
        bare_pid = bare.process.pid  # type: ignore[union-attr]
        ledger_pid = stack.processes["ledger"].process.pid  # type: ignore[union-attr]
        tracking_pid = stack.processes["tracking"].process.pid  # type: ignore[union-attr]
        cases = [  # (name, url, headers, index of the row it is compared with, web server pid)
            ("hello world (bare Flask, reference)", f"{bare_url}/hello", None, None, bare_pid),
            (
                "gateway /api/v1/me (bearer auth only, no gRPC)",
                f"{stack.url}/api/v1/me",
                auth("office"),
                None,
                gateway_pid,
            ),
            ("bare Flask: ListItems -> JSON", f"{bare_url}/api/v1/items", None, None, bare_pid),
            ("gateway /api/v1/items, office token", f"{stack.url}/api/v1/items", auth("office"), 2, gateway_pid),
            ("bare Flask: ListItems(unit fgj) -> JSON", f"{bare_url}/api/v1/items?unit_id=fgj", None, None, bare_pid),
            (
                "gateway /api/v1/items, unit-staff token (scoped)",
                f"{stack.url}/api/v1/items",
                auth("fgj"),
                4,
                gateway_pid,
            ),
            ("gateway /api/v1/items/{id} (the item page's item)", f"{stack.url}/api/v1/items/{item_id}",
             auth("office"), None, gateway_pid),
            ("gateway /api/v1/items/{id}/tracking (its tracking panel)",
             f"{stack.url}/api/v1/items/{item_id}/tracking", auth("office"), None, gateway_pid),
            ("gateway /items/{id} (the item page, HTML)", f"{stack.url}/items/{item_id}", page_cookie, None,
             gateway_pid),
        ]
        audit_before = _audit_rows(gw_db)
        results: list[WrkResult] = []
        for name, target, headers, baseline, web_pid in cases:
            wrk(target, 2, connections, headers)  # warm-up: worker imports, connections, caches
            settle()
            web_cpu, ledger_cpu = tree_cpu_seconds(web_pid), tree_cpu_seconds(ledger_pid)
            tracking_cpu = tree_cpu_seconds(tracking_pid)
            with MONITOR.window() as busy:
                result = wrk(target, seconds, connections, headers)
            web_cpu = tree_cpu_seconds(web_pid) - web_cpu
            ledger_cpu = tree_cpu_seconds(ledger_pid) - ledger_cpu
            tracking_cpu = tree_cpu_seconds(tracking_pid) - tracking_cpu
            results.append(result)
            ratio = result.rate / results[baseline].rate if baseline is not None else None
            of_hello = result.rate / results[0].rate if results[0].rate and results else None
            done = max(result.requests, 1)
            table.add(
                name,
                result.requests,
                result.errors,
                result.rate,
                result.p50_ms,
                result.p99_ms,
                web_cpu / done * 1000,
                ledger_cpu / done * 1000,
                tracking_cpu / done * 1000,
                busy.other_cores,
                f"{ratio:.0%}" if ratio is not None else "-",
                f"{of_hello:.1%}" if of_hello is not None and len(results) > 1 else "-",
                f">= {RATIO_TARGET:.0%}" if ratio is not None else "-",
                verdict(ratio >= RATIO_TARGET and result.errors == 0) if ratio is not None else "(ref)",
            )
            if result.errors:
                table.note(f"{name}: {result.errors} error(s): {result.error_kinds} (wrk --timeout 5s)")
        table.note("yardstick (DESIGN.md): ~9.6k Flask hello/s with gunicorn and wrk on this machine")
        table.note(
            f"the measured GETs wrote {_audit_rows(gw_db) - audit_before} audit rows (only state changes are audited)"
        )
    finally:
        if bare is not None:
            bare.stop()
        stack.stop()
    return [table]


def _item_for_the_page(url: str, token: str) -> tuple[str, dict[str, str]]:
    """An item registered through the API, once tracking has opened its assignment, and a signed-in
    page session (cookie header) to read its page with."""
    reply = requests.post(f"{url}/api/v1/items", timeout=30, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": "bench-item-page"}, json={
        "title": "基准测试事项页", "source": "other", "category": "general", "lead_unit_id": "fgj",
        "co_units": [{"unit_id": "jyj", "duty": "配合"}]})
    reply.raise_for_status()
    item_id = reply.json()["id"]
    deadline = Deadline(60)
    while requests.get(f"{url}/api/v1/items/{item_id}/tracking", timeout=30,
                       headers={"Authorization": f"Bearer {token}"}).status_code != 200:
        if deadline.passed:
            raise RuntimeError("tracking did not open the benchmark item's assignment within 60 s")
        time.sleep(0.2)
    session = requests.Session()
    form = session.get(f"{url}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    session.post(f"{url}/login", timeout=30, allow_redirects=False, data={
        "username": "office", "password": demo_data.DEMO_PASSWORD, "csrf_token": csrf.group(1) if csrf else ""})
    page = session.get(f"{url}/items/{item_id}", timeout=30)
    if page.status_code != 200 or "基准测试事项页" not in page.text:
        raise RuntimeError(f"the item page did not open for the benchmark: {page.status_code}")
    return item_id, {"Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items())}


def _audit_rows(url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from services.gateway.orm import AuditEntry

    engine = create_engine(url)  # a plain reader: no write lock
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    finally:
        engine.dispose()


__all__ = ["parse_wrk", "run", "wrk"]
