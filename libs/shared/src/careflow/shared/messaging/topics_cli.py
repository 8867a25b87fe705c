"""Create every registry topic and its dead-letter twin, then exit (a one-shot job).

    python -m careflow.shared.messaging.topics_cli

`KAFKA_BOOTSTRAP_SERVERS` (default 127.0.0.1:19092) names the broker and
`KAFKA_REPLICATION_FACTOR` (default 1) the replication of new topics; the other
`CAREFLOW_BROKER__*` settings (TLS, SASL user, `..._PASSWORD_FILE`) apply too. The
broker may still be starting (docker-compose starts the job alongside it), so
connecting is retried for up to a minute. Existing topics are left alone, so a
second run succeeds and creates nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterable

from aiokafka.errors import KafkaError

from careflow.contracts.topics import TopicSpec
from careflow.shared.messaging.topics import ensure_topics
from careflow.shared.settings import BrokerSettings, platform_broker_settings

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
RETRY_SECONDS = 60.0


async def ensure_topics_retrying(
    settings: BrokerSettings, specs: Iterable[TopicSpec], within: float = RETRY_SECONDS
) -> list[str]:
    """`ensure_topics`, retried while the broker is unreachable; returns the names created."""
    specs = list(specs)
    deadline = time.monotonic() + within
    created: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        try:
            # One attempt may create some topics and then fail; keep what it did.
            created += await asyncio.wait_for(ensure_topics(settings, specs), max(remaining, 1.0))
            return created
        except (KafkaError, OSError, TimeoutError) as exc:
            if time.monotonic() + 1.0 > deadline:
                raise TimeoutError(
                    f"broker {settings.bootstrap_servers} unreachable after {within:.0f}s: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            await asyncio.sleep(1.0)


def _replication_factor() -> int:
    raw = os.environ.get("KAFKA_REPLICATION_FACTOR") or os.environ.get(
        "CAREFLOW_BROKER__TOPIC_REPLICATION_FACTOR", "1"
    )
    return int(raw)


def main() -> int:
    """Create the missing topics; exit 0 when they all exist."""
    from careflow.contracts.registry import TOPICS

    settings = platform_broker_settings(
        default_bootstrap=DEFAULT_BOOTSTRAP,
        topic_replication_factor=_replication_factor(),
        idempotent_producer=False,
    )
    wanted = [name for spec in TOPICS for name in (spec.name, spec.dlq)]
    try:
        created = asyncio.run(ensure_topics_retrying(settings, TOPICS))
    except TimeoutError as exc:
        print(f"topics_cli: {exc}", file=sys.stderr)
        return 1
    for name in created:
        print(f"created {name}")
    print(
        f"{len(wanted)} topics on {settings.bootstrap_servers}: "
        f"{len(created)} created, {len(wanted) - len(created)} already existed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
