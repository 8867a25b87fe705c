"""Channels over the real server: who changes them, states and opening hours at their
boundaries (injected clock), the closed channel, the congestion notice, one winner of two
opens, new-chat notifications, transfer, idle end, and the events of every change."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from careflow.messaging.application.channels import apply_due_schedules
from careflow.messaging.application.chat_flow import expire_idle_chats

from .chat_harness import (
    ChatServer,
    authed,
    be_present,
    chat_server,
    frame,
    next_of,
    open_channel,
    send,
    taken_chat,
)

ORG = "org-channels"
HOURS = {
    "time_zone": "Europe/Helsinki",
    "weekly": [{"weekday": d, "opens": "08:00", "closes": "16:00"} for d in range(5)],
    "exceptions": [{"date": "2026-12-24", "openings": []}],
}
MONDAY_0800 = datetime.fromisoformat("2026-12-07T08:00:00+02:00")


@pytest.fixture(scope="module")
async def server(postgres, kafka, tmp_path_factory) -> AsyncIterator[ChatServer]:  # type: ignore[no-untyped-def]
    # The timers are driven by the tests, on the moved clock (no background pass races them).
    async with chat_server(
        postgres, kafka, tmp_path_factory.mktemp("chat-channels"), loops_enabled=False
    ) as running:
        yield running


def admin(server: ChatServer) -> dict[str, str]:
    return server.bearer(server.pro_token("admin-1", ORG, "chat_admin"))


def nurse(server: ChatServer, sub: str = "nurse-1") -> dict[str, str]:
    return server.bearer(server.pro_token(sub, ORG, "nurse"))


def resident(server: ChatServer, sub: str = "res-ch-1") -> dict[str, str]:
    return server.bearer(server.resident_token(sub))


async def channel_state(server: ChatServer, channel_id: str) -> str:
    listed = await server.http.get("/chat-channels", headers=nurse(server))
    return next(c["state"] for c in listed.json() if c["channel_id"] == channel_id)  # type: ignore[no-any-return]


async def test_only_a_channel_admin_changes_a_channel_and_a_refusal_changes_nothing(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG)
    refused = await server.http.patch(
        f"/chat-channels/{channel_id}", json={"open": False}, headers=nurse(server)
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert await channel_state(server, channel_id) == "open"
    created = await server.http.post(
        "/chat-channels", json={"name": "x", "visibility": "residents"}, headers=nurse(server)
    )
    assert created.status_code == 403
    foreign = server.bearer(server.pro_token("admin-9", "another-org", "admin"))
    hidden = await server.http.patch(
        f"/chat-channels/{channel_id}", json={"open": False}, headers=foreign
    )
    assert hidden.status_code == 404


async def test_every_state_change_is_an_event_without_text(server: ChatServer) -> None:
    channel_id = await open_channel(server, ORG)
    await server.http.patch(
        f"/chat-channels/{channel_id}",
        json={"congestion_notice": True, "congestion_text": "Queue is long today"},
        headers=admin(server),
    )
    await server.http.patch(
        f"/chat-channels/{channel_id}", json={"open": False}, headers=admin(server)
    )
    payloads = await server.outbox_payloads(channel_id)
    assert [p["state"] for p in payloads] == ["closed", "open", "open_congested", "closed"]
    assert "Queue is long today" not in json.dumps(payloads)
    assert set(await server.outbox_types(channel_id)) == {"careflow.chat_channel.state_changed.v1"}


async def test_opening_hours_open_at_the_opening_minute_and_close_at_the_closing_minute(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG)
    server.clock.fixed = MONDAY_0800 - timedelta(microseconds=1)
    try:
        put = await server.http.put(
            f"/chat-channels/{channel_id}/opening-hours",
            json={"opening_hours": HOURS},
            headers=admin(server),
        )
        assert put.status_code == 200, put.text
        assert put.json()["state"] == "closed"
        assert datetime.fromisoformat(put.json()["next_change_at"]) == MONDAY_0800
        uow = server.container.chat_uow
        await apply_due_schedules(uow(), now=MONDAY_0800 - timedelta(microseconds=1))
        assert await channel_state(server, channel_id) == "closed"
        await apply_due_schedules(uow(), now=MONDAY_0800)
        assert await channel_state(server, channel_id) == "open"
        closing = MONDAY_0800 + timedelta(hours=8)
        await apply_due_schedules(uow(), now=closing - timedelta(microseconds=1))
        assert await channel_state(server, channel_id) == "open"
        await apply_due_schedules(uow(), now=closing)
        assert await channel_state(server, channel_id) == "closed"
        # Christmas Eve is an exception: the Wednesday's closing leads to Friday's opening.
        await apply_due_schedules(uow(), now=datetime.fromisoformat("2026-12-23T16:00:00+02:00"))
        listed = await server.http.get("/chat-channels", headers=nurse(server))
        mine = next(c for c in listed.json() if c["channel_id"] == channel_id)
        assert datetime.fromisoformat(mine["next_change_at"]) == datetime.fromisoformat(
            "2026-12-25T08:00:00+02:00"
        )
        causes = [p["cause"] for p in await server.outbox_payloads(channel_id)]
        assert causes[-2:] == ["schedule", "schedule"]
    finally:
        server.clock.fixed = None


async def test_bad_opening_hours_are_a_problem_and_change_nothing(server: ChatServer) -> None:
    channel_id = await open_channel(server, ORG)
    for bad in (
        dict(HOURS, time_zone="Mars/Olympus"),
        dict(HOURS, weekly=[{"weekday": 7, "opens": "08:00", "closes": "16:00"}]),
        dict(HOURS, weekly=[{"weekday": 0, "opens": "24:00", "closes": "08:00"}]),
    ):
        answer = await server.http.put(
            f"/chat-channels/{channel_id}/opening-hours",
            json={"opening_hours": bad},
            headers=admin(server),
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    assert await channel_state(server, channel_id) == "open"


async def test_a_closed_channel_refuses_a_new_chat(server: ChatServer) -> None:
    channel_id = await open_channel(server, ORG)
    await server.http.patch(
        f"/chat-channels/{channel_id}", json={"open": False}, headers=admin(server)
    )
    answer = await server.http.post(
        "/chats", json={"channel_id": channel_id, "language": "fi"}, headers=resident(server)
    )
    assert answer.status_code == 409
    assert await server.outbox_types(channel_id) == ["careflow.chat_channel.state_changed.v1"] * 3


async def test_a_professional_only_channel_refuses_residents(server: ChatServer) -> None:
    channel_id = await open_channel(server, ORG, visibility="professionals")
    answer = await server.http.post(
        "/chats", json={"channel_id": channel_id, "language": "fi"}, headers=resident(server)
    )
    assert answer.status_code == 409
    seen = await server.http.get(f"/organisations/{ORG}/chat-channels", headers=resident(server))
    assert channel_id not in {c["channel_id"] for c in seen.json()}


async def test_the_resident_sees_the_congestion_notice_before_the_chat_starts(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(
        server, ORG, congestion_notice=True, congestion_text="Waiting time about 40 minutes"
    )
    seen = await server.http.get(f"/organisations/{ORG}/chat-channels", headers=resident(server))
    shown = next(c for c in seen.json() if c["channel_id"] == channel_id)
    assert (shown["state"], shown["congestion_notice"]) == (
        "open_congested",
        "Waiting time about 40 minutes",
    )
    body = {"channel_id": channel_id, "language": "sv"}
    unseen = await server.http.post("/chats", json=body, headers=resident(server))
    assert unseen.status_code == 409
    started = await server.http.post(
        "/chats", json=body | {"notice_seen": True}, headers=resident(server)
    )
    assert started.status_code == 201
    assert started.json()["congestion_notice"] == "Waiting time about 40 minutes"


async def test_of_two_professionals_opening_one_chat_at_once_one_wins_and_the_other_gets_409(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG)
    for pro in ("nurse-a", "nurse-b"):
        await be_present(server, ORG, channel_id, pro)
    started = await server.http.post(
        "/chats", json={"channel_id": channel_id, "language": "fi"}, headers=resident(server)
    )
    chat_id = started.json()["chat"]["chat_id"]
    answers = await asyncio.gather(
        *(
            server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, p))
            for p in ("nurse-a", "nurse-b")
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()["taken_by"]
    assert winner in ("nurse-a", "nurse-b")
    assert (await server.outbox_types(chat_id)).count("careflow.chat.taken.v1") == 1


async def test_a_professional_opens_a_chat_only_from_a_channel_where_present(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG)
    started = await server.http.post(
        "/chats", json={"channel_id": channel_id, "language": "fi"}, headers=resident(server)
    )
    chat_id = started.json()["chat"]["chat_id"]
    assert (
        await server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, "absent-1"))
    ).status_code == 403
    await be_present(server, ORG, channel_id, "absent-1", present=False)
    assert (
        await server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, "absent-1"))
    ).status_code == 403


async def test_the_queue_view_shows_state_own_settings_and_waiting_headers(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG, congestion_notice=True)
    await be_present(server, ORG, channel_id, "nurse-q", notify_sound=True)
    await server.http.post(
        "/chats",
        json={"channel_id": channel_id, "language": "en", "notice_seen": True},
        headers=resident(server),
    )
    view = await server.http.get(
        "/chat-queue", params={"channel_id": channel_id}, headers=nurse(server, "nurse-q")
    )
    [entry] = view.json()["channels"]
    assert (entry["channel"]["name"], entry["channel"]["state"]) == ("Nurse chat", "open_congested")
    assert entry["own"] == {
        "channel_id": channel_id, "present": True, "notify_email": False, "notify_sound": True,
    }  # fmt: skip
    [waiting] = entry["waiting"]
    assert (waiting["language"], waiting["channel_id"], waiting["status"]) == (
        "en",
        channel_id,
        "waiting",
    )
    assert waiting["waiting_since"]


async def test_a_new_chat_emails_and_sounds_for_the_present_professionals_who_chose_it(
    server: ChatServer,
) -> None:
    channel_id = await open_channel(server, ORG)
    await be_present(
        server, ORG, channel_id, "nurse-mail", notify_email=True, email="nurse@example.org"
    )
    await be_present(server, ORG, channel_id, "nurse-sound", notify_sound=True)
    await be_present(server, ORG, channel_id, "nurse-quiet")
    async with (
        server.socket("/chat-queue/socket") as sound,
        server.socket("/chat-queue/socket") as quiet,
    ):
        await authed(sound, server.pro_token("nurse-sound", ORG))
        await authed(quiet, server.pro_token("nurse-quiet", ORG))
        started = await server.http.post(
            "/chats", json={"channel_id": channel_id, "language": "fi"}, headers=resident(server)
        )
        chat_id = started.json()["chat"]["chat_id"]
        alert = await next_of(sound, "new_chat")
        assert alert["sound"] is True
        assert (alert["chat"]["chat_id"], alert["chat"]["channel_id"]) == (chat_id, channel_id)
        await quiet.send(json.dumps({"type": "ping"}))
        assert (await frame(quiet))["type"] == "pong"  # no alert came before the pong
    emails = await server.outbox_payloads_of_type(
        "careflow.notification.professional_chat_requested.v1"
    )
    requests = [p for p in emails if p["chat_id"] == chat_id]
    assert [(r["professional_id"], r["email"]) for r in requests] == [
        ("nurse-mail", "nurse@example.org")
    ]


async def test_a_transfer_moves_the_chat_to_a_professional_only_channel_where_it_waits(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-ch-t", "nurse-t")
    doctors = await open_channel(server, ORG, visibility="professionals")
    moved = await server.http.post(
        f"/chats/{chat_id}/transfer",
        json={"to_channel_id": doctors},
        headers=nurse(server, "nurse-t"),
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["channel_id"], moved.json()["status"]) == (doctors, "waiting")
    await be_present(server, ORG, doctors, "doctor-1")
    took = await server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, "doctor-1"))
    assert took.status_code == 200


async def test_a_transfer_to_non_urgent_ends_the_live_chat_with_an_event_for_the_case(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-ch-n", "nurse-n")
    moved = await server.http.post(
        f"/chats/{chat_id}/transfer", json={"non_urgent": True}, headers=nurse(server, "nurse-n")
    )
    assert (moved.json()["status"], moved.json()["ended_reason"]) == (
        "ended",
        "transferred_non_urgent",
    )
    types = await server.outbox_types(chat_id)
    assert types[-2:] == ["careflow.chat.transferred.v1", "careflow.chat.ended.v1"]
    transferred = (await server.outbox_payloads(chat_id))[-2]
    assert transferred["to_non_urgent"] is True
    both = await server.http.post(
        f"/chats/{chat_id}/transfer", json={"non_urgent": True, "to_channel_id": chat_id},
        headers=nurse(server, "nurse-n"),
    )  # fmt: skip
    assert both.status_code == 422


async def test_either_side_ends_a_chat_and_the_transcript_stays(server: ChatServer) -> None:
    chat_id = await taken_chat(server, ORG, "res-ch-e", "nurse-e")
    ended = await server.http.post(f"/me/chats/{chat_id}/end", headers=resident(server, "res-ch-e"))
    assert (ended.json()["status"], ended.json()["ended_reason"]) == ("ended", "resident")
    again = await server.http.post(f"/chats/{chat_id}/end", headers=nurse(server, "nurse-e"))
    assert again.status_code == 409
    other = await taken_chat(server, ORG, "res-ch-e2", "nurse-e2")
    by_pro = await server.http.post(f"/chats/{other}/end", headers=nurse(server, "nurse-e2"))
    assert by_pro.json()["ended_reason"] == "professional"


async def test_a_taken_chat_ends_after_the_idle_time_and_its_socket_hears_it(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-ch-i", "nurse-i")
    idle = timedelta(seconds=server.container.settings.chat.idle_seconds)
    async with server.socket(f"/chats/{chat_id}/socket") as ws:
        await authed(ws, server.resident_token("res-ch-i"))
        now = server.clock()
        assert await expire_idle_chats(server.container.chat_uow(), idle_after=idle, now=now) == 0
        await expire_idle_chats(server.container.chat_uow(), idle_after=idle, now=now + idle)
        assert (await next_of(ws, "ended"))["reason"] == "idle_timeout"
    assert "careflow.chat.ended.v1" in await server.outbox_types(chat_id)


async def test_a_professionals_read_of_chat_content_is_audited_and_a_refused_one_is_not(
    server: ChatServer,
) -> None:
    chat_id = await taken_chat(server, ORG, "res-ch-a", "nurse-audit")
    async with server.socket(f"/chats/{chat_id}/socket") as ws:
        await authed(ws, server.resident_token("res-ch-a"))
        await ws.send(send("about my medication"))
        await next_of(ws, "ack")
    refused = await server.http.get(f"/chats/{chat_id}/messages", headers=nurse(server, "nurse-x"))
    assert refused.status_code == 403
    read = await server.http.get(f"/chats/{chat_id}/messages", headers=nurse(server, "nurse-audit"))
    assert [m["text"] for m in read.json()["messages"]] == ["about my medication"]
    [record] = await server.audit_items(ORG, "nurse-audit")
    assert (record["action"], record["purpose"], record["case_id"]) == (
        "read_chat_messages",
        "care",
        None,
    )
    assert await server.audit_items(ORG, "nurse-x") == []


async def test_a_chat_moved_to_non_urgent_goes_on_on_its_case_with_the_transcript(
    server: ChatServer,
) -> None:
    case_id = await server.case_opened(ORG, "res-ch-case")
    channel_id = await open_channel(server, ORG)
    await be_present(server, ORG, channel_id, "nurse-case")
    started = await server.http.post(
        "/chats",
        json={"channel_id": channel_id, "language": "fi", "case_id": str(case_id)},
        headers=resident(server, "res-ch-case"),
    )
    chat_id = started.json()["chat"]["chat_id"]
    await server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, "nurse-case"))
    async with (
        server.socket(f"/chats/{chat_id}/socket") as mine,
        server.socket(f"/chats/{chat_id}/socket") as theirs,
    ):
        await authed(mine, server.resident_token("res-ch-case"))
        await authed(theirs, server.pro_token("nurse-case", ORG))
        await mine.send(send("The rash has spread"))
        await next_of(mine, "ack")
        await theirs.send(send("Let us continue on your case"))
        await next_of(theirs, "ack")
    moved = await server.http.post(
        f"/chats/{chat_id}/transfer", json={"non_urgent": True}, headers=nurse(server, "nurse-case")
    )
    assert moved.json()["ended_reason"] == "transferred_non_urgent"
    page = await server.http.get(f"/cases/{case_id}/messages", headers=nurse(server, "nurse-case"))
    assert page.status_code == 200, page.text
    [message] = [m["text"] for m in page.json()["messages"]]
    assert "Resident: The rash has spread" in message
    assert "Professional: Let us continue on your case" in message
    sent = await server.outbox_payloads(str(case_id))
    assert [p["author"] for p in sent if "message_id" in p] == ["professional"]
    assert "rash" not in json.dumps(sent)


async def test_an_ended_chat_keeps_its_transcript_with_the_residents_case(
    server: ChatServer,
) -> None:
    case_id = await server.case_opened(ORG, "res-ch-kept")
    channel_id = await open_channel(server, ORG)
    await be_present(server, ORG, channel_id, "nurse-kept")
    started = await server.http.post(
        "/chats",
        json={"channel_id": channel_id, "language": "fi", "case_id": str(case_id)},
        headers=resident(server, "res-ch-kept"),
    )
    chat_id = started.json()["chat"]["chat_id"]
    await server.http.post(f"/chats/{chat_id}/take", headers=nurse(server, "nurse-kept"))
    async with server.socket(f"/chats/{chat_id}/socket") as mine:
        await authed(mine, server.resident_token("res-ch-kept"))
        await mine.send(send("Thank you, that helped"))
        await next_of(mine, "ack")
    ended = await server.http.post(
        f"/me/chats/{chat_id}/end", headers=resident(server, "res-ch-kept")
    )
    assert ended.json()["ended_reason"] == "resident"
    page = await server.http.get(f"/cases/{case_id}/messages", headers=nurse(server, "nurse-kept"))
    [message] = [m["text"] for m in page.json()["messages"]]
    assert "Resident: Thank you, that helped" in message
