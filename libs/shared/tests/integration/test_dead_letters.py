"""Bad messages go to `<topic>.dlq` with a reason; the partition keeps flowing; replay works."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import ClassVar

from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging import dlq_cli
from careflow.shared.messaging.dlq_replay import DeadLetter, read_dead_letters
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import (
    effects_of,
    envelope_headers,
    probe,
    publish_raw,
    record_effect,
    wait_until,
)


class ProbeEmittedV2(ProbeEmitted):
    """A major version this consumer does not know until it is 'deployed' below."""

    event_type: ClassVar[str] = "careflow.probe.emitted.v2"


def _headers(event_type: str, event_id: str, key: str) -> list[tuple[str, bytes]]:
    return Envelope(id=event_id, type=event_type, source="/tests", subject=key).to_headers()


async def _letters(kafka, ids: set[str]) -> dict[str, DeadLetter]:  # type: ignore[no-untyped-def]
    letters = await read_dead_letters(kafka.bootstrap_servers, PLATFORM_PROBES.dlq)
    return {d.event_id: d for d in letters if d.event_id in ids}  # type: ignore[misc]


async def test_malformed_messages_are_dead_lettered_and_the_partition_keeps_flowing(
    running: ServiceRuntime, kafka
):
    probe_id = uuid.uuid4()
    key = str(probe_id).encode()
    good = probe(probe_id, 1)
    bad_json, bad_schema, bad_type = (str(uuid.uuid4()) for _ in range(3))
    await publish_raw(
        kafka.bootstrap_servers,
        PLATFORM_PROBES.name,
        [  # one key: all on one partition, the good event last
            (key, b"{not json", _headers(ProbeEmitted.event_type, bad_json, str(probe_id))),
            (
                key,
                b'{"probe_id": "x"}',
                _headers(ProbeEmitted.event_type, bad_schema, str(probe_id)),
            ),
            (key, b"{}", _headers("careflow.probe.exploded.v9", bad_type, str(probe_id))),
            (key, b"{}", [("content-type", b"application/json")]),  # no CloudEvents headers
            (key, good.model_dump_json().encode(), envelope_headers(good)),
        ],
    )
    await wait_until(lambda: effects_of(running, probe_id))
    await wait_until(lambda: _has(kafka, {bad_json, bad_schema, bad_type}), within=20)
    letters = await _letters(kafka, {bad_json, bad_schema, bad_type})
    assert letters[bad_json].code == "invalid_json"
    assert letters[bad_schema].code == "schema_violation"
    assert "sequence: missing" in letters[bad_schema].reason
    assert '"x"' not in letters[bad_schema].reason  # input values are never echoed
    assert letters[bad_type].code == "unknown_type"
    assert all(d.original_topic == PLATFORM_PROBES.name for d in letters.values())
    all_letters = await read_dead_letters(kafka.bootstrap_servers, PLATFORM_PROBES.dlq)
    assert any(d.code == "invalid_envelope" and d.record.key == key for d in all_letters)
    assert [(s, a) for s, a, _ in await effects_of(running, probe_id)] == [(1, 1)]


async def test_replay_command_redelivers_a_dead_letter(running: ServiceRuntime, kafka, capsys):
    probe_id = uuid.uuid4()
    event = ProbeEmittedV2(**probe(probe_id, 7).model_dump())
    event_id = str(uuid.uuid4())
    await publish_raw(
        kafka.bootstrap_servers,
        PLATFORM_PROBES.name,
        [
            (
                event.key().encode(),
                event.model_dump_json().encode(),
                _headers(event.event_type, event_id, str(probe_id)),
            )
        ],
    )
    await wait_until(lambda: _has(kafka, {event_id}))
    assert await effects_of(running, probe_id) == []

    # "Deploy" a consumer that knows v2, then replay the dead letter.
    consumer = running.consumer  # type: ignore[attr-defined]
    consumer.topic = dataclasses.replace(PLATFORM_PROBES, events=(ProbeEmitted, ProbeEmittedV2))
    consumer.on(ProbeEmittedV2)(record_effect)
    args = ["--bootstrap-servers", kafka.bootstrap_servers]
    code = await asyncio.to_thread(
        dlq_cli.main, [*args, "replay", "--topic", PLATFORM_PROBES.name, "--event-id", event_id]
    )
    assert code == 0
    assert "replayed 1 message" in capsys.readouterr().out
    await wait_until(lambda: effects_of(running, probe_id))
    assert [(s, a) for s, a, _ in await effects_of(running, probe_id)] == [(7, 1)]

    code = await asyncio.to_thread(dlq_cli.main, [*args, "list", "--topic", PLATFORM_PROBES.name])
    listing = capsys.readouterr().out
    assert code == 0
    assert event_id in listing
    assert "unknown_type" in listing


async def _has(kafka, ids: set[str]) -> bool:  # type: ignore[no-untyped-def]
    return set((await _letters(kafka, ids)).keys()) == ids
