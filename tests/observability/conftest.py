"""The whole suite as `make run` starts it, watched the way SRE watch it.

Every service under services/ runs as its own process (`python -m careflow.<name>`,
configured by careflow.local's `service_env`, as `make run` does) against the
session's PostgreSQL and broker; a real Prometheus scrapes their /metrics every
second with the repository's alert and recording rules loaded; every service
exports its spans over OTLP/HTTP to a receiver in this process. A short load runs
once, then the tests read what Prometheus and the receiver saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from careflow.contracts.registry import INTAKE_CASES
from careflow.intake.domain.urgency_rules import RED_FLAGS
from careflow.local.ports import free_port
from careflow.local.smtp_sink import SmtpSink
from careflow.local.supervisor import ServiceProcess, gateway_env, service_env, stop_services
from careflow.shared.auth.claims import AuthLevel, ProfessionalPrincipal, ResidentPrincipal
from careflow.shared.auth.signing import JWKS_FILE, generate_keypair, load_signing_key, mint_token
from careflow.shared.settings import AuthSettings
from careflow.testing.otlp import OtlpReceiver
from careflow.testing.probe_service import publish_raw
from careflow.testing.prometheus import binary

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "observability" / "prometheus" / "rules"
# The deployables, as every deployment test finds them: whatever exists under services/.
SERVICES = tuple(sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml")))
HEALTHY_WITHIN = 150.0
RESIDENTS = 6


@dataclass
class Prometheus:
    address: str
    process: subprocess.Popen[bytes]

    async def query(self, expr: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.address, timeout=10) as client:
            response = await client.get("/api/v1/query", params={"query": expr})
        body = response.json()
        assert body["status"] == "success", (expr, body)
        return body["data"]["result"]  # type: ignore[no-any-return]


@dataclass
class Suite:
    services: dict[str, ServiceProcess]
    prometheus: Prometheus
    otlp: OtlpReceiver
    sign: Callable[[Any], str]
    org: str
    journey_trace_id: str = ""
    journey_parent_span_id: str = ""
    journey_case_id: str = ""

    def url(self, service: str) -> str:
        return self.services[service].address

    def auth(self, principal: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sign(principal)}"}

    def nurse(self) -> dict[str, str]:
        principal = ProfessionalPrincipal(
            subject="nurse-1", organisation=self.org, unit="u", roles=["nurse"]
        )
        return self.auth(principal)

    def resident(self, sub: str) -> dict[str, str]:
        return self.auth(ResidentPrincipal(subject=sub, auth_level=AuthLevel.STRONG))


def _prometheus_config(services: dict[str, ServiceProcess]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "2s"},
        "rule_files": [str(path) for path in sorted(RULES.glob("*.yml"))],
        # One job per service: `job` names the service, as in compose and Kubernetes.
        "scrape_configs": [
            {
                "job_name": name,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"{s.host}:{s.port}"]}],
            }
            for name, s in services.items()
        ],
    }


async def _start_prometheus(work: Path, services: dict[str, ServiceProcess]) -> Prometheus:
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(_prometheus_config(services)))
    port = free_port()
    log = open(work / "prometheus.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{address}/-/ready")).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(
                    "Prometheus did not start: " + (work / "prometheus.log").read_text()[-2000:]
                )
            await asyncio.sleep(0.3)
    # Every rule file loaded and evaluates in a real Prometheus, not only in promtool.
    async with httpx.AsyncClient(base_url=address, timeout=10) as client:
        groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
    assert {Path(g["file"]).name for g in groups} == {p.name for p in RULES.glob("*.yml")}
    return Prometheus(address, process)


def _extra_env(name: str, work: Path, smtp: SmtpSink) -> dict[str, str]:
    """What the load needs beyond `make run`'s environment: a mail sink of its own,
    SMS into files, the queue's gauges refreshed every second."""
    prefix = f"{name.upper()}_"
    quick = {
        # A group join on Tansu takes about half the session timeout (testing.settings).
        f"{prefix}CONSUMER__SESSION_TIMEOUT_MS": "3000",
        f"{prefix}CONSUMER__HEARTBEAT_INTERVAL_MS": "1000",
    }
    per_service = {
        "notification": {
            "NOTIFICATION_SMTP__PORT": str(smtp.port),
            "NOTIFICATION_SMS__SINK_DIR": str(work / "sms"),
            "NOTIFICATION_SENDER__IDLE_POLL_SECONDS": "0.2",
        },
        "workqueue": {"WORKQUEUE_OVERDUE_EVERY": "PT1S"},
    }
    return quick | per_service.get(name, {})


async def _healthy(service: ServiceProcess) -> None:
    problem = await asyncio.to_thread(service.wait_healthy, HEALTHY_WITHIN)
    if problem is not None:
        raise AssertionError(f"{service.name} {problem}:\n{service.log_tail(40)}")


async def eventually(predicate: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f} s")
        await asyncio.sleep(0.5)


def traceparent() -> tuple[str, str, str]:
    """A sampled W3C trace context the journey starts in: trace id, the caller's span
    id, the header."""
    trace_id, span_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


async def _load(suite: Suite, bootstrap: str) -> None:
    """Residents give contact details and submit; a nurse reads the queue, takes a case
    and sets a goal (email + SMS to the resident); bad input is refused; a malformed
    record reaches the case topic (dead letters); every service answers HTTP."""
    form = {
        "kind": "symptom_assessment",
        "language": "en",
        "organisation_id": suite.org,
        "group_id": "nurses",
        "phone": "+358401234567",
        "answers": {**dict.fromkeys(RED_FLAGS, False), "fever": True, "worsening": True},
    }
    async with httpx.AsyncClient(timeout=30) as client:
        intake = suite.url("intake")
        cases = []
        for n in range(RESIDENTS):
            sub = f"resident-{uuid.uuid4().hex[:8]}"
            contact = {
                "communication_language": "en",
                "email": f"{sub}@example.org",
                "phone": f"+35840111{n:04d}",
                "email_notifications": True,
                "sms_notifications": True,
            }
            put = await client.put(
                f"{intake}/me/contact", json=contact, headers=suite.resident(sub)
            )
            assert put.status_code == 200, put.text
            headers = suite.resident(sub)
            entry = intake
            if n == 0:
                trace_id, caller, headers["traceparent"] = traceparent()
                suite.journey_trace_id, suite.journey_parent_span_id = trace_id, caller
                # The journey enters where residents' apps do: through the gateway.
                if "gateway" in suite.services:
                    entry = f"{suite.url('gateway')}/intake"
            submitted = await client.post(f"{entry}/forms", json=form, headers=headers)
            assert submitted.status_code == 201, submitted.text
            cases.append(submitted.json()["case_id"])
        suite.journey_case_id = cases[0]
        refused = await client.post(f"{intake}/forms", json={"kind": "x"}, headers=headers)
        assert refused.status_code in (400, 422), refused.text

        queue = f"{suite.url('workqueue')}/queue/groups/nurses"

        async def all_queued() -> bool:
            response = await client.get(queue, headers=suite.nurse())
            assert response.status_code == 200, response.text
            return {i["case_id"] for i in response.json()["items"]} >= set(cases)

        await eventually(all_queued, 90, "the submissions in the group queue")
        # One case is taken and gets a goal: the others stay free, so the queue panels
        # have something per urgency class.
        taken = await client.post(
            f"{suite.url('workqueue')}/queue/items/{cases[1]}/take", headers=suite.nurse()
        )
        assert taken.status_code == 200, taken.text
        goal = await client.post(
            f"{intake}/cases/{cases[1]}/goals", json={"text": "Drink water"}, headers=suite.nurse()
        )
        assert goal.status_code == 201, goal.text
        for name in suite.services:
            # Every service, whatever its API, answers its OpenAPI document.
            assert (await client.get(f"{suite.url(name)}/openapi.json")).status_code == 200
    # Not an event at all: every consumer of the topic dead-letters it.
    await publish_raw(bootstrap, INTAKE_CASES.name, [(b"k", b"not json", [])])


@pytest.fixture(scope="package")
async def suite(postgres, kafka, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("observed-suite")
    kid = generate_keypair(work / "keys")
    _kid, key = load_signing_key(work / "keys", kid)
    auth = AuthSettings()
    otlp = OtlpReceiver()
    await otlp.start()
    smtp = SmtpSink(work / "mail", port=free_port())
    smtp.start()
    services = {name: ServiceProcess(name, free_port(), work / f"{name}.log") for name in SERVICES}
    prometheus: Prometheus | None = None
    try:
        for name, service in services.items():
            database = await postgres.create_service_database(name)
            env = service_env(
                service,
                database_url=database.service_url,
                migration_url=database.owner_url,
                bootstrap_servers=kafka.bootstrap_servers,
                jwks_path=work / "keys" / JWKS_FILE,
            )
            env |= {f"{name.upper()}_TELEMETRY__OTLP_ENDPOINT": otlp.endpoint}
            if name == "gateway":  # routes to this suite's services, as under `make run`
                env |= gateway_env(service, list(services.values()))
            service.start(env | _extra_env(name, work, smtp))
        await asyncio.gather(*(_healthy(s) for s in services.values()))
        prometheus = await _start_prometheus(work, services)

        def sign(principal: Any) -> str:
            return mint_token(key, kid, principal, issuer=auth.issuer, audience=auth.audience)

        suite = Suite(services, prometheus, otlp, sign, f"org-{uuid.uuid4().hex[:8]}")
        await _load(suite, kafka.bootstrap_servers)
        yield suite
    finally:
        if prometheus is not None:
            prometheus.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                prometheus.process.wait(10)
            if prometheus.process.poll() is None:
                prometheus.process.kill()
        await asyncio.to_thread(stop_services, list(services.values()))
        smtp.stop()
        await otlp.stop()
