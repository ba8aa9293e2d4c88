"""`make run`: the whole embedded stack on this machine, with demo data; Ctrl-C stops everything."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from libs.common.processes import StartupFailed
from scripts import demo_data
from scripts.stack import ROOT, Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.run_stack")
    parser.add_argument("--state", type=Path, default=ROOT / "var", help="where databases and logs live")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port of the portal (next free if taken)")
    parser.add_argument("--no-demo", action="store_true", help="start empty (no demo units, people, items)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    state = args.state.resolve()
    # A first start loads the inspection demo with inspection's clock moved back (scripts/demo_inspection.py):
    # start it controllable, so only one restart (onto the real clock) follows the load.
    first = not args.no_demo and not (state / "inspection.db").exists()
    stack = Stack(state_dir=state, http_port=args.port, clock_controlled_at_start=("inspection",) if first else ())
    return run(stack, demo=not args.no_demo, stop=stop)


def run(stack: Stack, demo: bool, stop: threading.Event) -> int:
    """Start `stack`, load the demo data into it, print where it runs; wait for `stop` or a process
    that ends. 1 when a process did not come up (the message names it, its port and its log)."""
    try:
        print(f"starting broker, {', '.join(stack.services)} and gateway ...", flush=True)
        try:
            stack.start()
        except StartupFailed as failed:
            print(f"\nduban did not start: {failed}", file=sys.stderr, flush=True)
            return 1
        logins = []
        if demo:
            logins = demo_data.load(stack.addr("ledger"), stack.processes["gateway"].env["DUBAN_DATABASE_URL"],
                                    stack.signer(), stack.addr("tracking"), stack.addr("inspection"),
                                    lambda: stack.clock_controlled("inspection"), stack.addr("notification"),
                                    stack.addr("evaluation"))
        print(f"\n  duban is running:  {stack.url}\n")
        print(f"  broker  127.0.0.1:{stack.ports['broker']} (log in PostgreSQL)   "
              + "   ".join(f"{name} gRPC  {stack.addr(name)}" for name in stack.services))
        print(f"  metrics gateway http://127.0.0.1:{stack.metrics_port('gateway')}/metrics   "
              + "   ".join(f"{name} :{stack.metrics_port(name)}/metrics" for name in stack.services))
        print(f"  logs    {stack.state_dir / 'logs'}   API docs  {stack.url}/api/docs\n")
        if logins:
            print(f"  demo logins (password for all: {demo_data.DEMO_PASSWORD}):")
            for username, role, unit in logins:
                print(f"    {username:<10} {role}{'  ' + unit if unit else ''}")
        print("\n  Ctrl-C stops everything.", flush=True)
        while not stop.wait(1.0):
            dead = [name for name, p in stack.processes.items() if not p.alive]
            if dead:
                print(f"process ended unexpectedly: {', '.join(dead)}; see {stack.state_dir / 'logs'}", file=sys.stderr)
                return 1
        return 0
    finally:
        print("stopping ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
