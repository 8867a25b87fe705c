"""The audit log's time range is given with time zones; a naive time is refused."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("since", ["2025-03-04T08:30:00", "2025-03-04", "1741077000"])
async def test_a_time_without_an_offset_is_refused(service, since: str):
    admin = service.token("admin-1", roles=("admin",))
    response = await service.client.get("/audit-records", params={"since": since}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "since"]


async def test_times_with_offsets_are_served(service):
    admin = service.token("admin-1", roles=("admin",))
    response = await service.client.get(
        "/audit-records",
        params={"since": "2025-03-04T08:30:00Z", "until": "2025-03-04T10:30:00+02:00"},
        headers=admin,
    )
    assert response.status_code == 200
    assert response.json()["records"] == []
