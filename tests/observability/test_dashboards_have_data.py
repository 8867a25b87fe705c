"""Every Grafana dashboard panel shows data from the running suite under load.

A panel whose query returns nothing is a panel on-call would stare at in an
incident and learn nothing from: a metric renamed, a label dropped, a service not
scraped. The queries are the dashboards' own, with Grafana's variables filled in
as the dashboard's defaults would ("All" services).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .conftest import SERVICES, Suite, eventually

DASHBOARDS = sorted(
    (Path(__file__).resolve().parents[2] / "deploy/observability/grafana/dashboards").glob("*.json")
)
VARIABLES = {"$job": ".*", "$__rate_interval": "1m", "$__range": "10m", "$__interval": "15s"}


def _fill(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def _queries() -> list[tuple[str, str]]:
    return [
        (f"{path.stem} / {panel['title']}", _fill(target["expr"]))
        for path in DASHBOARDS
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]
        for target in panel["targets"]
    ]


async def test_every_dashboard_panel_returns_data(suite: Suite) -> None:
    queries = _queries()
    assert queries

    async def empty_panels() -> list[str]:
        return [name for name, expr in queries if not await suite.prometheus.query(expr)]

    async def all_have_data() -> bool:
        return not await empty_panels()

    try:
        # Scrapes every second; the relay reports the outbox gauges every 10 s and the
        # overdue loop counts the queue every second.
        await eventually(all_have_data, 60, "data in every panel")
    except AssertionError:
        missing = await empty_panels()
        raise AssertionError(f"panels without data: {missing}") from None


async def test_the_service_panels_show_every_service(suite: Suite) -> None:
    rate = next(expr for name, expr in _queries() if name.endswith("/ Request rate"))

    async def shown() -> set[str]:
        return {series["metric"]["job"] for series in await suite.prometheus.query(rate)}

    async def every_service_shown() -> bool:
        return await shown() == set(SERVICES)

    try:
        # A rate needs two scrapes of a series: a service whose first counted request
        # came at the load's end (its OpenAPI document) shows a scrape or two later.
        await eventually(every_service_shown, 30, "every service in the service panels")
    except AssertionError:
        missing = sorted(set(SERVICES) - await shown())
        raise AssertionError(f"services missing from the service panels: {missing}") from None


async def test_the_alert_and_recording_rules_evaluate_without_errors(suite: Suite) -> None:
    async def evaluated() -> list[dict[str, object]]:
        async with httpx.AsyncClient(base_url=suite.prometheus.address, timeout=10) as client:
            groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return rules if all(rule["health"] != "unknown" for rule in rules) else []

    rules = await eventually(evaluated, 30, "every rule evaluated")
    broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert broken == {}
