"""Helper processes on this machine's loopback (the broker, its log's object store, the tests' S3
server): free ports, waiting for one to answer, and stopping a process - politely, then for sure."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if it has not ended within `grace` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(grace)


@contextmanager
def python_server(module_args: list[str], port: int, log_path: Path | str | None = None,
                  timeout: float = 30.0) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m <module_args>` as a process of its own, once it answers on 127.0.0.1:`port`; stopped
    on exit. Its output goes to `log_path` (appended) or nowhere."""
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", *module_args], stdout=log or subprocess.DEVNULL,
                               stderr=log or subprocess.DEVNULL)
    try:
        wait_for_port("127.0.0.1", port, timeout=timeout)
        yield process
    finally:
        stop_process(process)
        if log:
            log.close()
