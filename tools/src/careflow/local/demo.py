"""`make demo`: a short scripted scenario against the suite `make run` started, over HTTP only.

    python -m careflow.local.demo [--issuer URL] [--intake URL] [--workqueue URL]

A resident submits a symptom assessment; it appears in the professional's group
queue with its urgency; the professional takes it, adds a task and a goal and
proposes closing; the resident sees the proposal; the resident closes a second
case before anyone took it and it leaves the queue. Each step prints one
numbered line. Ids are shortened and nothing a resident typed is printed.

Tokens come from the token endpoint of `make run`'s OpenID Connect issuer, as a
real client's would: the professional is its `dev-professional`, the resident a
fresh `resident-demo-...` each run. Exit code 0 when every step
did what it should, 1 when one did not, 2 when the suite is not running.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from careflow.local.dev_token import DEV_GROUP, DEV_ORGANISATION
from careflow.local.issuer import DEFAULT_URL, fetch_token

T = TypeVar("T")
NOT_RUNNING, FAILED = 2, 1


class DemoFailed(Exception):
    """A step did not do what it should (exit 1)."""


class SuiteNotRunning(Exception):
    """Nothing to run the demo against (exit 2)."""


def short(case_id: str) -> str:
    return str(case_id)[:8]


@dataclass
class Demo:
    intake: httpx.Client
    workqueue: httpx.Client
    professional: dict[str, str]
    resident: dict[str, str]
    timeout: float = 30.0
    out: Callable[[str], None] = print
    steps: int = field(default=0, init=False)

    def step(self, text: str) -> None:
        self.steps += 1
        self.out(f"{self.steps:2d}. {text}")

    def call(
        self, client: httpx.Client, method: str, path: str, who: dict[str, str], **kw: Any
    ) -> httpx.Response:
        response = client.request(method, path, headers=who, **kw)
        if response.status_code >= 400:
            title = response.json().get("title", "") if _is_json(response) else ""
            raise DemoFailed(f"{method} {_redacted(path)} answered {response.status_code} {title}")
        return response

    def wait(self, what: str, probe: Callable[[], T | None]) -> tuple[T, float]:
        """Polls `probe` until it returns something; (that, seconds it took)."""
        started = time.monotonic()
        while (found := probe()) is None:
            if time.monotonic() - started > self.timeout:
                raise DemoFailed(f"{what}: not within {self.timeout:.0f} s")
            time.sleep(0.1)
        return found, time.monotonic() - started

    def submit(self) -> str:
        body = {
            "kind": "symptom_assessment",
            "language": "en",
            "organisation_id": DEV_ORGANISATION,
            "group_id": DEV_GROUP,
            "phone": "+358400000000",
            # No red flag, fever: intake computes P3 (rule set symptoms-1).
            "answers": {
                **dict.fromkeys(
                    (
                        "unconscious_or_confused",
                        "severe_breathing_difficulty",
                        "chest_pain",
                        "stroke_signs",
                        "heavy_bleeding",
                    ),
                    False,
                ),
                "fever": True,
            },
        }
        response = self.call(self.intake, "POST", "/forms", self.resident, json=body)
        return str(response.json()["case_id"])

    def in_group_queue(self, case_id: str) -> dict[str, Any] | None:
        """The case's item in the group queue, looking through every page."""
        offset = 0
        while True:
            page = self.call(
                self.workqueue,
                "GET",
                f"/queue/groups/{DEV_GROUP}",
                self.professional,
                params={"limit": 100, "offset": offset},
            ).json()
            found = next((i for i in page["items"] if i["case_id"] == case_id), None)
            offset += len(page["items"])
            if found is not None or not page["items"] or offset >= page["total"]:
                return found

    def run(self) -> None:
        first = self.submit()
        self.step(f"resident submitted a symptom assessment (urgency P3): case {short(first)}")
        item, took = self.wait("case in the group queue", lambda: self.in_group_queue(first))
        self.step(
            f"case {short(first)} is in group queue '{DEV_GROUP}' after {took:.1f} s: "
            f"urgency {item['urgency']}, {item['status']}"
        )
        taken = self.call(
            self.workqueue, "POST", f"/queue/items/{first}/take", self.professional
        ).json()
        self.step(f"professional took case {short(first)}: now {taken['status']}")
        _, took = self.wait("intake hears of the take", lambda: self._taken_in_intake(first))
        self.step(f"intake recorded who is responsible for case {short(first)} after {took:.1f} s")
        self.call(
            self.intake,
            "POST",
            f"/cases/{first}/tasks",
            self.professional,
            json={"kind": "action_instruction", "instruction": "Drink a glass of water hourly."},
        )
        self.step(f"professional added a task for the resident to case {short(first)}")
        self.call(
            self.intake,
            "POST",
            f"/cases/{first}/goals",
            self.professional,
            json={"text": "Enough hydration"},
        )
        self.step(f"professional set a goal on case {short(first)}")
        self.call(self.intake, "POST", f"/cases/{first}/closing-proposals", self.professional)
        self.step(f"professional proposed closing case {short(first)} (72 h to object)")
        page = self.call(self.intake, "GET", f"/me/cases/{first}", self.resident).json()
        proposal = page["closing"]["pending_proposal"]
        if not proposal or proposal["proposed_by"] != "professional":
            raise DemoFailed("the resident does not see the professional's closing proposal")
        self.step(
            f"resident sees the closing proposal on case {short(first)}; "
            f"it closes by itself at {_minute(page['closing']['closes_at'])} unless they object"
        )

        second = self.submit()
        _, took = self.wait("second case in the queue", lambda: self.in_group_queue(second))
        self.step(
            f"resident submitted another assessment: case {short(second)}, queued in {took:.1f} s"
        )
        self.call(self.intake, "POST", f"/me/cases/{second}/closure", self.resident)
        self.step(f"resident closed case {short(second)} before anyone took it")
        _, took = self.wait("closed case leaves the queue", lambda: self._gone(second))
        self.step(f"case {short(second)} is gone from the queue after {took:.1f} s")

    def _taken_in_intake(self, case_id: str) -> bool | None:
        page = self.call(self.intake, "GET", f"/cases/{case_id}", self.professional).json()
        return True if page.get("taken_by") else None

    def _gone(self, case_id: str) -> bool | None:
        return True if self.in_group_queue(case_id) is None else None


def _minute(instant: str) -> str:
    """An ISO 8601 instant as `YYYY-MM-DD HH:MM UTC`."""
    return (
        datetime.fromisoformat(instant.replace("Z", "+00:00"))
        .astimezone(UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
    )


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith(
        ("application/json", "application/problem+json")
    )


def _redacted(path: str) -> str:
    """The path with ids shortened, as the steps print them."""
    return "/".join(short(part) if len(part) == 36 else part for part in path.split("/"))


def _check_running(name: str, client: httpx.Client) -> None:
    try:
        healthy = client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        healthy = False
    if not healthy:
        raise SuiteNotRunning(
            f"{name} does not answer on {client.base_url} — start the suite with `make run` "
            "(in another terminal) and wait for its table, then run `make demo` again"
        )


def _tokens(issuer_url: str) -> tuple[str, str]:
    """(resident, professional) tokens from the issuer's token endpoint."""
    try:
        resident = fetch_token(issuer_url, f"resident-demo-{uuid.uuid4().hex}")
        return resident, fetch_token(issuer_url, "dev-professional")
    except httpx.HTTPError as exc:
        raise SuiteNotRunning(
            f"no token from the issuer at {issuer_url} ({type(exc).__name__}): "
            "is `make run` going, with this --issuer?"
        ) from None


def demo(issuer_url: str, intake_url: str, workqueue_url: str, timeout: float) -> int:
    with (
        httpx.Client(base_url=intake_url, timeout=10.0) as intake,
        httpx.Client(base_url=workqueue_url, timeout=10.0) as workqueue,
    ):
        try:
            _check_running("intake", intake)
            _check_running("workqueue", workqueue)
            resident_token, professional_token = _tokens(issuer_url)
        except SuiteNotRunning as exc:
            print(f"make demo: {exc}", file=sys.stderr)
            return NOT_RUNNING
        print(f"CareFlow demo: intake {intake_url}, workqueue {workqueue_url}")
        resident = {"Authorization": f"Bearer {resident_token}"}
        professional = {"Authorization": f"Bearer {professional_token}"}
        run = Demo(intake, workqueue, professional, resident, timeout)
        try:
            run.run()
        except (DemoFailed, httpx.HTTPError) as exc:
            print(f"make demo: step {run.steps + 1} failed: {exc}", file=sys.stderr)
            return FAILED
    print(f"demo finished: {run.steps} steps, each as expected")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m careflow.local.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--issuer", default=DEFAULT_URL, help="`make run`'s OIDC issuer")
    parser.add_argument("--intake", default="http://127.0.0.1:8001")
    parser.add_argument("--workqueue", default="http://127.0.0.1:8002")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per step")
    args = parser.parse_args(argv)
    return demo(args.issuer, args.intake, args.workqueue, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
