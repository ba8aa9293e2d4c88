"""`python -m services.notification serve|migrate|bulletins|clearance` - notification's entry points
(image, make run, CronJobs)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from duban.notification.v1 import notification_pb2 as pb
from libs.common.actor import SYSTEM
from libs.common.clock import OFFICE_TZ
from libs.common.errors import DomainError
from libs.common.service_app import App, service_main
from services.notification import convert, domain, drafting, jobs
from services.notification.bootstrap import MIGRATIONS, ROW, bootstrap
from services.notification.config import Settings


def _as_of(args: argparse.Namespace) -> dt.datetime | None:
    as_of = dt.datetime.fromisoformat(args.as_of) if args.as_of else None
    if as_of and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=OFFICE_TZ)
    return as_of


def bulletins(app: App[Any, Any], args: argparse.Namespace) -> int:
    """One period (--kind and --period), or every ended period not drafted yet (no --period: the CronJob)."""
    as_of = _as_of(args)
    if args.kind and args.kind not in domain.REGULAR_KINDS:
        print(f"bulletins: --kind must be one of {', '.join(domain.REGULAR_KINDS)}, not {args.kind!r}", file=sys.stderr)
        return 2
    if args.period and not args.kind:
        print("bulletins: --period needs --kind", file=sys.stderr)
        return 2
    try:
        if args.period:
            b, existing = drafting.generate_bulletin(app.core, pb.GenerateBulletinRequest(
                kind=args.kind, period=args.period, as_of=convert.ts(as_of)), SYSTEM)
            drafted = [] if existing else [(b.id, f"{args.kind}:{args.period}")]
            if existing:
                print(f"bulletins: {args.kind} {args.period} was drafted before ({b.id}, {b.status}); nothing drafted")
        else:
            kinds = (args.kind,) if args.kind else domain.REGULAR_KINDS
            drafted = jobs.run_bulletin_jobs(app.core, as_of, kinds)
    except DomainError as exc:
        print(f"bulletins: refused: {exc.message} {exc.field_errors}", file=sys.stderr)
        return 1
    delivered = app.relay.drain()  # the CronJob's pod ends now: send what it wrote
    print(f"bulletins: drafted {len(drafted)} ({', '.join(w for _, w in drafted) or 'none'}); {delivered} events sent")
    return 0


def clearance(app: App[Any, Any], args: argparse.Namespace) -> int:
    as_of = _as_of(args)
    try:
        if args.year:
            b, existing = drafting.generate_clearance(app.core, args.year, convert.ts(as_of), SYSTEM)
            drafted = [] if existing else [(b.id, f"clearance:{args.year}")]
        else:
            drafted = jobs.run_bulletin_jobs(app.core, as_of, (domain.CLEARANCE,))
    except DomainError as exc:
        print(f"clearance: refused: {exc.message} {exc.field_errors}", file=sys.stderr)
        return 1
    delivered = app.relay.drain()
    print(f"clearance: drafted {len(drafted)} ({', '.join(w for _, w in drafted) or 'none'}); {delivered} events sent")
    return 0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", default="", metavar="KIND",
                        help="bulletins: quarterly | semiannual | monthly (default: every kind)")
    parser.add_argument("--period", default="", help="bulletins: 2026Q3 | 2026H1 | 2026-07 (default: every ended one)")
    parser.add_argument("--year", type=int, default=0, help="clearance: the year (default: this year's, from its date)")
    parser.add_argument("--as-of", default="", help="as if it were this time (ISO 8601)")


if __name__ == "__main__":
    sys.exit(service_main(ROW, Settings.from_env, bootstrap, MIGRATIONS, commands={
        "bulletins": ("draft the bulletins of every ended period not drafted yet (or --kind/--period), then exit",
                      bulletins),
        "clearance": ("draft the year's 清零 report from its date in December (or --year), then exit", clearance),
    }, arguments=arguments))
