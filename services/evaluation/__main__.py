"""`python -m services.evaluation serve|migrate|replay --year 2026 [--rebuild]` - evaluation's entry points
(image, make run, the admin's replay)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from libs.common.errors import DomainError
from libs.common.service_app import App, service_main
from services.evaluation import jobs
from services.evaluation.bootstrap import MIGRATIONS, ROW, bootstrap
from services.evaluation.config import Settings


def replay(app: App[Any, Any], args: argparse.Namespace) -> int:
    if not args.year:
        print("replay: --year is required", file=sys.stderr)
        return 2
    try:
        answer = jobs.replay(app.core, args.year, args.rebuild)
    except DomainError as exc:
        print(f"replay: refused: {exc.message} {exc.field_errors}", file=sys.stderr)
        return 1
    delivered = app.relay.drain()
    print(f"replay {args.year}: {answer.events} events, {answer.entries} entries, "
          f"{'identical' if answer.identical else f'{len(answer.diff)} subjects differ'}, {answer.seconds:.1f} s, "
          f"export sha256 {answer.export_sha256}{', rebuilt' if args.rebuild else ''}; {delivered} events sent")
    for d in answer.diff:
        print(f"  {d.subject.kind}:{d.subject.id} {d.subject.name}: {d.before:g} -> {d.after:g}")
    return 0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, default=0, help="replay: the assessment year")
    parser.add_argument("--rebuild", action="store_true", help="replay: write the replayed entries as the year's")


if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS, commands={
        "replay": ("score a year again from the archive and compare (or --rebuild), then exit", replay),
    }, arguments=arguments))
