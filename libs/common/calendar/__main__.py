"""Office admin path for next year's table: `python -m libs.common.calendar validate|install|show ...`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from libs.common.calendar import load_calendar
from libs.common.calendar.tables import CalendarTableError, install_table, read_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libs.common.calendar")
    sub = parser.add_subparsers(dest="cmd", required=True)
    validate = sub.add_parser("validate", help="check a year table (JSON) and print its summary")
    validate.add_argument("file", type=Path)
    install = sub.add_parser("install", help="validate and copy a year table into the calendar dir")
    install.add_argument("file", type=Path)
    install.add_argument("--dir", type=Path, default=Path(os.environ.get("DUBAN_CALENDAR_DIR", "var/calendar")))
    sub.add_parser("years", help="list the years loaded (built in + DUBAN_CALENDAR_DIR)")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "validate":
            table = read_table(args.file)
            print(f"{table.year}: {len(table.holidays)} holiday dates, {len(table.workdays)} make-up working days")
        elif args.cmd == "install":
            print(f"installed {install_table(args.file, args.dir)}")
        else:
            print(" ".join(str(y) for y in load_calendar(os.environ.get("DUBAN_CALENDAR_DIR")).years))
    except CalendarTableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
