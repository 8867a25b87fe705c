"""`make run` gives the gateway a table of exactly the services that run there."""

from __future__ import annotations

from pathlib import Path

from careflow.gateway.settings import Settings
from careflow.local.supervisor import ServiceProcess, gateway_env


def test_the_gateway_under_make_run_routes_to_the_services_found_and_no_other(monkeypatch):
    services = [
        ServiceProcess(name, port, Path(f"{name}.log"))
        for name, port in (("gateway", 9000), ("intake", 9001), ("notification", 9004), ("x", 9007))
    ]
    for name, value in gateway_env(services[0], services).items():
        monkeypatch.setenv(name, value)
    enabled = {n: u.base_url for n, u in Settings().upstreams.items() if u.enabled}
    assert enabled == {
        "intake": "http://127.0.0.1:9001",
        "notification": "http://127.0.0.1:9004",
        "x": "http://127.0.0.1:9007",
    }
