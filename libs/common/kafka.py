"""Kafka adapters: one producer per process, topic creation, and the idempotent consumer runner.

Settings chosen for the embedded Tansu broker and kept sensible for a real cluster: a fetch that
long-polls for 100 ms (both answer as soon as a record arrives) and a short session timeout so a group
joins in ~3 s. Delivery times out before the relay's flush deadline, so every produce has an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

logger = logging.getLogger(__name__)
# librdkafka's own messages (connection refused, broker down) go through logging, as JSON like the rest.
KAFKA_LOG = logging.getLogger("librdkafka")


class Producer:
    """Thin wrapper so the relay and tests share one producer configuration."""

    def __init__(self, bootstrap: str, client_id: str, extra: dict[str, Any] | None = None) -> None:
        config = {
            "bootstrap.servers": bootstrap,
            "client.id": client_id,
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 8000,
            "reconnect.backoff.max.ms": 1000,
            "socket.connection.setup.timeout.ms": 3000,
            "logger": KAFKA_LOG,
        }
        config.update(extra or {})
        self._config = config
        self._producer = confluent_kafka.Producer(config)

    def reset(self) -> None:
        """Drop queued messages and start a fresh producer session.

        After delivery failures an idempotent producer may keep sequence state the broker no longer
        knows (a restarted broker, a lost partition leader); a new session starts clean. Callers
        re-send whatever was not acknowledged.
        """
        try:
            self._producer.purge()
            self._producer.flush(0)
        except Exception:  # noqa: BLE001 - the old session is being discarded anyway
            logger.debug("purging the old producer failed", exc_info=True)
        self._producer = confluent_kafka.Producer(self._config)

    def produce(
        self,
        topic: str,
        value: bytes,
        key: str,
        headers: Sequence[tuple[str, str | bytes | None]],
        on_delivery: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self._producer.produce(topic, value=value, key=key.encode(), headers=list(headers), on_delivery=on_delivery)
        self._producer.poll(0)

    def flush(self, timeout: float) -> int:
        return self._producer.flush(timeout)


def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3, timeout: float = 10.0) -> None:
    """Create the topics that don't exist yet (a cluster with auto-create off needs this)."""
    admin = AdminClient(
        # confluent-kafka's AdminClient types its config values as str/int/float/bool, but it takes a
        # logging.Logger for "logger" like every client does.
        {"bootstrap.servers": bootstrap, "socket.connection.setup.timeout.ms": 3000, "logger": KAFKA_LOG}  # type: ignore[dict-item]
    )
    existing = set(admin.list_topics(timeout=timeout).topics)
    wanted = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
    if not wanted:
        return
    for topic, future in admin.create_topics(wanted, operation_timeout=timeout).items():
        try:
            future.result(timeout)
        except confluent_kafka.KafkaException as exc:
            if exc.args[0].code() != confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        logger.info("created topic %s", topic)


def consumer_config(bootstrap: str, group_id: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        # A fetch waits on the broker for new records up to this long and returns as soon as one arrives
        # (the embedded broker's version long-polls too). At 10 ms every idle consumer asked ~100 times a
        # second: the broker of a quiet `make run` stack used 15 % of a core. Measured on the embedded broker,
        # one consumer, 30 events at random moments, on a loaded machine: idle broker CPU 5.6 % -> 1.2 % of a
        # core, delivery p50 4.9 -> 3.1 ms with the memory log and 41 -> 23 ms with the log in PostgreSQL.
        "fetch.wait.max.ms": 100,
        "socket.connection.setup.timeout.ms": 3000,
        "topic.metadata.refresh.interval.ms": 5000,  # notice re-created topics within seconds, not minutes
        "logger": KAFKA_LOG,
    }
    config.update(extra or {})
    return config
