"""Helper processes on this machine's loopback (the broker, its log's object store, the tests' S3
server): free ports, waiting for the process started to listen, and stopping one - politely, then for sure."""

from __future__ import annotations

import os
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


class StartupFailed(RuntimeError):
    """A process we started did not come up: it exited, or its port is held by another process."""


def _listening_inodes(port: int) -> set[str] | None:
    """Inodes of the TCP sockets listening on `port` (any local address, IPv4 and IPv6), from the kernel's
    tables; None where there are none to read (not Linux)."""
    found: set[str] = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not any(table.exists() for table in tables):
        return None
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()  # sl local_address rem_address st ... uid timeout inode
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])  # 0A: LISTEN
    return found


def holds_listener(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds a socket listening on `port`; None where this cannot be told (no
    /proc). A port answering proves nothing by itself: another process may hold it, and then the one we
    started fails to bind (after its migrations, say) while the other answers in its place."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    if not inodes:
        return False
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False  # ended meanwhile
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_own_port(process: subprocess.Popen[bytes], name: str, port: int, timeout: float = 15.0,
                      log_path: Path | str | None = None) -> None:
    """Wait until `process` itself listens on 127.0.0.1:`port` and it accepts a connection.

    Raises StartupFailed (naming the port, with the tail of `log_path`) when the process ends first or
    the time runs out - and says so when another process answers on that port meanwhile."""
    deadline = time.monotonic() + timeout
    foreign = False
    while True:
        if process.poll() is not None:
            raise StartupFailed(startup_message(name, port, f"exited with code {process.returncode}", foreign,
                                                log_path))
        owned = holds_listener(process.pid, port)
        if owned is False and port_answers("127.0.0.1", port):
            foreign = True
        elif owned is not False and port_answers("127.0.0.1", port):
            return
        if time.monotonic() > deadline:
            raise StartupFailed(startup_message(name, port, f"not listening after {timeout:g}s", foreign, log_path))
        time.sleep(0.05)


def startup_message(name: str, port: int, what: str, foreign: bool, log_path: Path | str | None) -> str:
    """One message for a process that did not come up: which, on which port, why, and its log's tail."""
    text = f"{name} did not start on 127.0.0.1:{port}: {what}"
    if foreign:
        text += f"; port {port} is held by another process, which answered in its place (not used)"
    if log_path and Path(log_path).exists():
        tail = Path(log_path).read_text(errors="replace")[-3000:]
        text += f"\nlast lines of {log_path}:\n{tail}"
    return text


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
        wait_for_own_port(process, module_args[0], port, timeout=timeout, log_path=log_path)
        yield process
    finally:
        stop_process(process)
        if log:
            log.close()
