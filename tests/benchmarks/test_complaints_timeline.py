"""The complaints bench's diagnosis: each complaint's time split into its stages, the
phase per second (refusals and the slowest), and requests in flight at a moment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from complaints_load import Sent
from complaints_timeline import _in_flight, per_second, stages


class FakeWatcher:
    def __init__(self, published: dict[str, float], seen: dict[str, float]) -> None:
        self.published, self.seen = published, seen


def test_a_complaints_time_is_split_into_generator_http_relay_and_broker():
    sent = Sent(due=10.0, sent_at=10.002, answered_at=10.030, status=201, case_id="a")
    watcher = FakeWatcher({"a": 10.050}, {"a": 10.080})
    assert stages(sent, watcher) == pytest.approx(  # type: ignore[arg-type]
        {"generator": 2.0, "http": 28.0, "relay": 20.0, "broker+watcher": 30.0}
    )


def test_a_refused_complaint_has_only_the_stages_it_went_through():
    sent = Sent(due=10.0, sent_at=10.001, answered_at=10.300, status=503)
    assert stages(sent, FakeWatcher({}, {})) == pytest.approx(  # type: ignore[arg-type]
        {"generator": 1.0, "http": 299.0}
    )


def test_each_second_counts_its_refusals_and_its_slowest_complaint():
    sent = [
        Sent(due=0.1, sent_at=0.1, answered_at=0.12, status=201, case_id="a"),
        Sent(due=1.2, sent_at=1.2, answered_at=1.5, status=503),
        Sent(due=1.5, sent_at=1.5, answered_at=1.52, status=201, case_id="b"),
    ]
    watcher = FakeWatcher({"a": 0.13, "b": 1.9}, {"a": 0.15, "b": 2.0})
    first, second = per_second(sent, watcher, start=0.0)  # type: ignore[arg-type]
    assert (first["sends"], first["refused"]) == (1, 0)
    assert first["max_ms"] == pytest.approx(50.0)
    assert (second["sends"], second["refused"]) == (2, 1)
    assert second["max_ms"] == pytest.approx(500.0)


def test_in_flight_counts_requests_written_and_not_yet_answered():
    sent = [
        Sent(due=0.0, sent_at=0.0, answered_at=0.5),
        Sent(due=0.1, sent_at=0.1, answered_at=None),  # never answered
        Sent(due=0.2, sent_at=0.2, answered_at=0.25),
        Sent(due=0.9),  # not yet written
    ]
    assert _in_flight(sent, 0.3) == 2
