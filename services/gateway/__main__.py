"""`python -m services.gateway migrate|create-user|serve` - the gateway's command line.

The image runs the gateway under gunicorn (docker/entrypoint.sh); `serve` is the same app under
gunicorn for `make run`.
"""

from __future__ import annotations

import argparse
import os
import sys

from libs.common import migrations
from libs.common.config import settings_or_exit
from libs.common.db import make_engine
from libs.common.errors import DomainError
from libs.common.logs import configure_logging
from services.gateway import accounts, roles
from services.gateway.app import MIGRATIONS
from services.gateway.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the accounts database migrations")
    create = sub.add_parser("create-user", help="add an account (e.g. the first administrator)")
    create.add_argument("username")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=sorted(roles.ROLES))
    create.add_argument("--unit", default="")
    create.add_argument("--person", default="")
    create.add_argument("--password-env", default="DUBAN_NEW_PASSWORD",
                        help="environment variable holding the password (never on the command line)")
    serve = sub.add_parser("serve", help="run under gunicorn")
    serve.add_argument("--bind", default=f"0.0.0.0:{os.environ.get('DUBAN_HTTP_PORT', '8000')}")
    serve.add_argument("--workers", default=os.environ.get("DUBAN_HTTP_WORKERS", "2"))
    args = parser.parse_args(argv)
    settings = settings_or_exit("gateway", Settings.from_env)
    configure_logging("gateway", settings.log_level)
    engine = make_engine(settings.database_url)
    if args.command == "migrate":
        migrations.upgrade(MIGRATIONS, engine)
        return 0
    if args.command == "create-user":
        password = os.environ.get(args.password_env, "")
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            try:
                accounts.create_user(session, args.username, args.name, password, args.role, args.unit, args.person)
            except DomainError as exc:
                print(f"gateway: {exc.message}: {exc.field_errors}", file=sys.stderr)
                return 2
            session.commit()
        print(f"created {args.username} ({args.role})")
        return 0
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", args.bind, "--workers", str(args.workers),
        "--no-control-socket", "--access-logfile", "-", "services.gateway.app:create_app()",
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
