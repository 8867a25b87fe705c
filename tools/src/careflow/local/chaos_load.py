"""The work a chaos run keeps going while it breaks things: residents and a professional.

Each resident sets their contact details and consents (email and SMS on),
submits a symptom assessment, and a professional sets a goal on it, takes it
from the queue and writes a case message (when messaging runs); the goal and
the message each notify the resident by email and SMS.

A request counts as accepted only when it was answered 2xx. A request that
never reached a service (connection refused while it restarts) is sent again;
one that may have reached it (timeout, 5xx, reset mid-answer) is not, so the
client never makes a double of its own that the run would blame on the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from careflow.local.chaos_tally import Observed
from careflow.local.dev_token import DEV_GROUP, DEV_ORGANISATION
from careflow.local.issuer import fetch_token

NO_RED_FLAGS = dict.fromkeys(
    (
        "unconscious_or_confused",
        "severe_breathing_difficulty",
        "chest_pain",
        "stroke_signs",
        "heavy_bleeding",
    ),
    False,
)


@dataclass
class Load:
    intake: httpx.AsyncClient
    workqueue: httpx.AsyncClient
    messaging: httpx.AsyncClient | None  # None: no messaging service in this suite
    issuer: str  # the local OpenID Connect issuer's URL: tokens as in production
    seen: Observed
    #: How long a request keeps being offered to a service that is down.
    patience: float = 60.0
    refused: int = field(default=0, init=False)  # answered, but not 2xx (or no answer)

    def __post_init__(self) -> None:
        token = fetch_token(self.issuer, "dev-professional")
        self.professional = {"Authorization": f"Bearer {token}"}

    async def run(
        self,
        residents_per_second: float,
        seconds: float,
        concurrency: int,
        until: asyncio.Event | None = None,
    ) -> None:
        """Starts residents at the given rate for `seconds` (and until `until` is set, if
        given), then waits for all of them."""
        slots = asyncio.Semaphore(concurrency)
        started = time.monotonic()
        tasks: list[asyncio.Task[None]] = []
        n = 0
        while time.monotonic() - started < seconds or (until is not None and not until.is_set()):
            await slots.acquire()
            task = asyncio.create_task(self._resident())
            task.add_done_callback(lambda _t: slots.release())
            tasks.append(task)
            n += 1
            await asyncio.sleep(max(0.0, started + n / residents_per_second - time.monotonic()))
        await asyncio.gather(*tasks)

    async def _resident(self) -> None:
        subject = f"chaos-{uuid.uuid4().hex}"
        token = await asyncio.to_thread(fetch_token, self.issuer, f"resident-{subject}")
        me = {"Authorization": f"Bearer {token}"}
        contact = {
            "communication_language": "en",
            "email": f"{subject}@example.org",
            "phone": "+358401234567",
            "email_notifications": True,
            "sms_notifications": True,
        }
        if await self._until_done(self.intake, "PUT", "/me/contact", me, json=contact) is None:
            return
        form = {
            "kind": "symptom_assessment",
            "language": "en",
            "organisation_id": DEV_ORGANISATION,
            "group_id": DEV_GROUP,
            "phone": "+358401234567",
            "answers": {**NO_RED_FLAGS, "fever": True},
        }
        submitted = await self._once(self.intake, "POST", "/forms", me, json=form)
        if submitted is None:
            return
        case_id = str(submitted["case_id"])
        self.seen.accepted_cases.add(case_id)
        goal = await self._once(
            self.intake,
            "POST",
            f"/cases/{case_id}/goals",
            self.professional,
            json={"text": "Enough hydration"},
        )
        if goal is not None:
            self.seen.accepted_goals[str(goal["id"])] = case_id
        if await self._until_queued(case_id):
            path = f"/queue/items/{case_id}/take"
            if await self._once(self.workqueue, "POST", path, self.professional) is not None:
                self.seen.accepted_takes.add(case_id)
        if self.messaging is not None:
            await self._message(case_id)

    async def _message(self, case_id: str) -> None:
        """The professional writes on the case (the resident is notified); messaging learns
        of the case from intake's events, so a 404 means not yet: nothing was written."""
        deadline = time.monotonic() + self.patience
        body = {"text": "Please measure your temperature tonight."}
        path = f"/cases/{case_id}/messages"
        while time.monotonic() < deadline:
            try:
                response = await self.messaging.post(path, json=body, headers=self.professional)  # type: ignore[union-attr]
            except httpx.ConnectError:
                await asyncio.sleep(0.3)
                continue
            except httpx.HTTPError:
                break
            if response.status_code == 404:
                await asyncio.sleep(0.5)
                continue
            if response.is_success:
                self.seen.accepted_messages[str(response.json()["id"])] = case_id
                return
            break
        self.refused += 1

    async def _until_queued(self, case_id: str) -> bool:
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                found = await self.workqueue.get(
                    f"/queue/items/{case_id}", headers=self.professional
                )
                if found.status_code == 200:
                    return True
            await asyncio.sleep(0.5)
        return False

    async def _once(
        self, client: httpx.AsyncClient, method: str, path: str, who: dict[str, str], **kw: Any
    ) -> dict[str, Any] | None:
        """The answer's JSON if 2xx; sent again only while the service refuses connections."""
        deadline = time.monotonic() + self.patience
        while True:
            try:
                response = await client.request(method, path, headers=who, **kw)
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    self.refused += 1
                    return None
                await asyncio.sleep(0.3)
                continue
            except httpx.HTTPError:
                self.refused += 1
                return None
            if response.is_success:
                return response.json() if response.content else {}
            self.refused += 1
            return None

    async def _until_done(
        self, client: httpx.AsyncClient, method: str, path: str, who: dict[str, str], **kw: Any
    ) -> dict[str, Any] | None:
        """An idempotent request, offered until answered 2xx (or patience runs out)."""
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                response = await client.request(method, path, headers=who, **kw)
                if response.is_success:
                    return response.json() if response.content else {}
            await asyncio.sleep(0.3)
        self.refused += 1
        return None
