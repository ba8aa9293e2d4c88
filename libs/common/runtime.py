"""The life of a service process: background threads, signals, and an orderly shutdown.

SIGTERM or SIGINT: health goes NOT_SERVING, in-flight gRPC calls get `grace` seconds, background loops
(outbox relay, consumers) finish their current record, then the process exits.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


_gc_pauses = 0
_gc_lock = threading.Lock()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a bulk job runs (nested and concurrent uses are counted).

    A sweep holds ~100k database rows and builds ~100k events - plain tuples, dicts and strings
    without cycles, freed by reference counting. The collector would still rescan them again and again
    as they pile up (a tenth of the sweep's time); it resumes, and catches up, when the last job ends.
    """
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                gc.enable()


class Runtime:
    def __init__(self, service: str) -> None:
        self.service = service
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._on_stop: list[Callable[[], None]] = []

    def spawn(self, name: str, target: Callable[[threading.Event], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                target(self.stop)
            except Exception:  # noqa: BLE001 - a dead loop must bring the process down, not hide
                logger.exception("%s: background loop %s crashed; stopping", self.service, name)
                self.stop.set()

        thread = threading.Thread(target=guarded, name=f"{self.service}-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Called first on shutdown, in reverse order of registration (e.g. stop the gRPC server)."""
        self._on_stop.append(callback)

    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            logger.info("%s: received signal %s, shutting down", self.service, signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def wait(self) -> None:
        while not self.stop.wait(1.0):
            pass
        self.shutdown()

    def shutdown(self, join_seconds: float = 15.0) -> None:
        self.stop.set()
        for callback in reversed(self._on_stop):
            try:
                callback()
            except Exception:  # noqa: BLE001
                logger.exception("%s: error during shutdown", self.service)
        for thread in self._threads:
            thread.join(join_seconds)
        logger.info("%s: stopped", self.service)


def serve_forever(service: str, metrics_port: int, start: Callable[[Runtime], object],
                  metrics_host: str = "0.0.0.0") -> int:
    """A service process's `serve`: signals, /metrics, start the parts, run until SIGTERM/SIGINT."""
    from libs.common import metrics

    runtime = Runtime(service)
    runtime.install_signal_handlers()
    metrics.serve_metrics(metrics_port, metrics_host)
    start(runtime)
    runtime.wait()
    return 0
