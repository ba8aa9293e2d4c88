"""The PostgreSQL server the embedded stack, the tests and the benchmarks use, and throwaway databases on it.

`admin_server()` gives the admin URL of the server named by DUBAN_PG_ADMIN_URL, else of the one on
127.0.0.1:5432 if it answers, else of a private cluster it starts under `state_dir` (initdb once, a
free loopback port, trust auth), stopped when the block ends. A laptop then needs only Debian's
`postgresql` package (the Makefile installs it where `initdb` is missing); nothing else to set up.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from libs.common.broker import free_port, wait_for_port
from libs.common.config import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN_URL_VARIABLE = "DUBAN_PG_ADMIN_URL"


def answers(url: str, timeout: int = 3) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": timeout})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - refused, unknown host, bad credentials: all "does not answer"
        return False
    finally:
        engine.dispose()


def pg_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb (Debian's layout), or initdb's on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    if on_path := shutil.which("initdb"):
        return Path(on_path).parent
    raise FileNotFoundError("no PostgreSQL server binaries (initdb): install Debian's postgresql package "
                            "(the Makefile does: make run / make test), or set DUBAN_PG_ADMIN_URL")


def _as_owner(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: as root, run them as the postgres user.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def private_cluster(data_dir: Path, port: int = 0) -> Iterator[str]:
    """A PostgreSQL cluster of our own in `data_dir` (created on first use) on a free loopback port;
    yields its admin URL and stops it (fast shutdown) when the block ends."""
    bin_dir = pg_bin_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    data_dir.chmod(0o700)
    if not (data_dir / "PG_VERSION").exists():
        made = subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres",
                                         "--auth=trust", "-E", "UTF8", "--no-instructions"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if made.returncode:
            # As root the cluster belongs to the postgres user, who must be able to reach data_dir.
            raise RuntimeError(f"initdb in {data_dir} failed: {made.stderr.strip()}")
    port = port or free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{data_dir}' -c fsync=off"
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(data_dir / "server.log"),
                              "-o", options, "-w", "-t", "60", "start"]), check=True, stdout=subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        logger.info("private PostgreSQL in %s on 127.0.0.1:%s", data_dir, port)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", "60",
                                  "stop"]), check=False, stdout=subprocess.DEVNULL)


@contextmanager
def admin_server(state_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The admin URL to create databases with: the configured server, the local default, or a private one."""
    environ = os.environ if env is None else env
    configured = environ.get(ADMIN_URL_VARIABLE, "")
    if configured:
        if not answers(configured):
            raise ConfigError(f"{ADMIN_URL_VARIABLE}={configured} does not answer")
        yield configured
    elif answers(DEFAULT_ADMIN_URL):
        yield DEFAULT_ADMIN_URL
    else:
        with private_cluster(state_dir / "pg") as url:
            yield url


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def throwaway_database(admin_url: str, prefix: str = "duban_test") -> Iterator[str]:
    """Create a fresh database and drop it afterwards (even with connections left open); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(admin_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
