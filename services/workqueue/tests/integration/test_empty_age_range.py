"""Over the API and PostgreSQL: an age range with min above max is an empty page."""

from __future__ import annotations


async def test_an_age_range_with_min_above_max_is_an_empty_page(service):
    nurse = service.token("pro-a", roles=("nurse",))
    response = await service.client.get(
        "/queue", params={"min_age_hours": 5, "max_age_hours": 1}, headers=nurse
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
