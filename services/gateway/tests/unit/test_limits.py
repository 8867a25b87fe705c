"""The sliding-window rule: estimates and the Retry-After it gives."""

from __future__ import annotations

from careflow.gateway.domain.limits import Counts, estimate, retry_after, window_start

LENGTH = 60


def test_a_window_starts_on_a_multiple_of_its_length():
    assert window_start(125.5, LENGTH) == 120
    assert window_start(120.0, LENGTH) == 120


def test_the_previous_window_counts_by_the_part_still_in_the_span():
    counts = Counts(started=120, count=2, previous=10)
    assert estimate(counts, 120.0, LENGTH) == 12
    assert estimate(counts, 150.0, LENGTH) == 7
    assert estimate(counts, 180.0, LENGTH) == 2


def test_within_the_limit_there_is_no_wait():
    assert retry_after(Counts(120, 5, 0), 5, 130.0, LENGTH) is None


def test_a_full_current_window_waits_into_the_next_one():
    # 6 of 5 at 10 s into the window: 50 s to its end, then until 6 * (1 - x/60) + 1 <= 5.
    assert retry_after(Counts(120, 6, 0), 5, 130.0, LENGTH) == 50 + 20


def test_a_heavy_previous_window_waits_until_enough_of_it_slid_out():
    # 10 * (1 - (t)/60) + 1 + 1 <= 5 -> t >= 42; 12 s in, so 30 s.
    assert retry_after(Counts(120, 1, 10), 5, 132.0, LENGTH) == 30


def test_the_wait_is_at_least_one_second():
    assert retry_after(Counts(120, 6, 0), 5, 179.9, LENGTH) >= 1
