"""`make bench [ARGS="--quick" | "--only ledger|gateway|tracking|inspection|field|bulletins|broker|evaluation"]`: run the benchmarks and print their tables.

The tables are also written to bench/results/latest.txt (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import (
    broker_bench,
    evaluation_bench,
    field_bench,
    gateway_bench,
    inspection_bench,
    ledger_bench,
    machine,
    notification_bench,
    procs,
    tracking_bench,
)
from bench.report import Table

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller run (10k items / assignments, 1,000 registrations, 5 s loads)"
    )
    parser.add_argument("--only", choices=["ledger", "gateway", "tracking", "inspection", "field", "bulletins", "broker",
                                           "evaluation", "registrations", "visibility"],
                        help="run one group only; 'registrations' (A1, A1r, A1b) and 'visibility' (T2, T2b) are the "
                             "parts of ledger and tracking that before/after comparisons repeat")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL (no server at 127.0.0.1:5432)")
    parser.add_argument("--broker-log", choices=["postgres", "memory"], default="postgres",
                        help="where the broker keeps its log (memory: to compare with the durable log)")
    parser.add_argument("--keep", action="store_true", help="keep the state directory (databases, logs)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="before each measurement wait at most this long for other processes' CPU use to drop "
        "(3x this before each group; 0: don't wait)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.txt", help="where to save the tables")
    args = parser.parse_args(argv)

    procs.BROKER_LOG["kind"] = args.broker_log
    state = Path(tempfile.mkdtemp(prefix="duban-bench-"))
    machine.QUIET_WAIT["seconds"] = args.quiet_wait
    machine.MONITOR.start()
    started = time.perf_counter()
    header = (
        f"duban benchmarks - {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} - "
        f"{'quick' if args.quick else 'full'} run - {os.cpu_count()} cores, Python {platform.python_version()} - "
        f"CPU reference: sum(range(10**6)) in {machine.cpu_reference_ms():.1f} ms (lower is faster)\n"
    )
    print(header, flush=True)
    output = [header]
    failed = False

    def emit(tables: list[Table]) -> None:
        for table in tables:
            text = table.render()
            print(text, flush=True)
            output.append(text)

    databases = ("sqlite",) if args.sqlite_only else None
    groups = [
        ("ledger", lambda: ledger_bench.run(args.quick, state, ("sqlite",) if args.sqlite_only else None)),
        ("gateway", lambda: gateway_bench.run(args.quick, state)),
        ("tracking", lambda: tracking_bench.run(args.quick, state, ("sqlite",) if args.sqlite_only else None)),
        ("inspection", lambda: inspection_bench.run(args.quick, state)),
        ("field", lambda: field_bench.run(args.quick, state)),
        ("bulletins", lambda: notification_bench.run(args.quick, state)),
        ("broker", lambda: broker_bench.run(args.quick, state)),
        ("evaluation", lambda: evaluation_bench.run(args.quick, state)),
        ("registrations", lambda: ledger_bench.bench_registrations(ledger_bench.Config.make(args.quick, databases), state)),
        ("visibility", lambda: tracking_bench.bench_visibility(tracking_bench.Config.make(args.quick, databases), state)),
    ]
    subsets = {"registrations", "visibility"}  # already inside ledger and tracking: only when asked for
    try:
        for name, run in groups:
            if (args.only and args.only != name) or (not args.only and name in subsets):
                continue
            if args.quiet_wait > 0:
                quiet = machine.MONITOR.wait_quiet(args.quiet_wait * 3)
                print(f"[{name}: other processes use {quiet.other_cores:.2f} cores as it starts]", flush=True)
            group_started = time.perf_counter()
            try:
                emit(run())
            except Exception:  # noqa: BLE001 - report the failure, still run the other groups
                failed = True
                text = f"{name} benchmarks FAILED:\n{traceback.format_exc()}\n(logs in {state})\n"
                print(text, file=sys.stderr, flush=True)
                output.append(text)
                args.keep = True
            print(f"[{name} benchmarks took {time.perf_counter() - group_started:.0f} s]\n", flush=True)
    finally:
        machine.MONITOR.stop()
        footer = f"total {time.perf_counter() - started:.0f} s\n"
        print(footer, flush=True)
        output.append(footer)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(output), encoding="utf-8")
        print(f"saved to {args.out}")
        if args.keep:
            print(f"state kept in {state}")
        else:
            shutil.rmtree(state, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
