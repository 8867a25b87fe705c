"""An age range that holds no time (min above max) lists nothing; it is no error.

Query parameters cannot state "min_age_hours <= max_age_hours" in OpenAPI, so
a request the API's schema allows must get an answer, not a 422.
"""

from __future__ import annotations

from datetime import timedelta

from careflow.workqueue.domain.ordering import QueueQuery, select


def test_an_age_range_with_min_above_max_lists_nothing(build):
    items = [build.item(submitted_minutes_ago=m) for m in (5, 90, 600)]
    empty = QueueQuery("org-1", min_age=timedelta(hours=2), max_age=timedelta(hours=1))
    assert select(items, empty, build.now) == []
    within = QueueQuery("org-1", min_age=timedelta(hours=1), max_age=timedelta(hours=2))
    assert select(items, within, build.now) == [items[1]]
