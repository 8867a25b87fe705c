"""Case messages over HTTP on the real service: who may write and read, what a message may
hold, the events and notifications it causes, paging, read state, the send limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from careflow.contracts.cases import CaseClosed, ClosingProposed, objection_deadline

from .conftest import IDS, LIMIT, Service, submitted

SECRET = "My rash is worse since Tuesday"


def org() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


def sub() -> str:
    return f"resident-{uuid.uuid4().hex[:8]}"


async def test_a_residents_message_reaches_the_professionals_as_unread_and_a_read_clears_it(
    service: Service,
) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)

    sent = await service.client.post(
        f"/me/cases/{case.case_id}/messages", json={"text": SECRET}, headers=service.resident(r)
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["author"] == "resident"

    page = await service.client.get(
        f"/cases/{case.case_id}/messages", headers=service.professional(o)
    )
    assert page.status_code == 200, page.text
    assert [m["text"] for m in page.json()["messages"]] == [SECRET]
    assert page.json()["unread"] == 1

    read = await service.client.post(
        f"/cases/{case.case_id}/messages/read", headers=service.professional(o)
    )
    assert read.status_code == 200, read.text
    assert read.json()["read_up_to"] == sent.json()["seq"]

    events = await service.outbox_of(str(case.case_id))
    assert [t for t, _ in events] == ["careflow.message.sent.v1", "careflow.message.read.v1"]
    assert events[0][1]["unread_by_professionals"] == 1
    assert events[0][1]["author"] == "resident"
    assert events[1][1]["unread_by_professionals"] == 0
    assert all(SECRET not in str(payload) for _, payload in events)
    # A resident's message notifies no resident.
    assert await service.notification_requests(case.case_id) == []


async def test_a_professionals_message_asks_notification_to_tell_the_resident_without_its_text(
    service: Service,
) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)

    sent = await service.client.post(
        f"/cases/{case.case_id}/messages", json={"text": SECRET}, headers=service.professional(o)
    )
    assert sent.status_code == 201, sent.text

    [request] = await service.notification_requests(case.case_id)
    assert request["purpose"] == "new_message"
    assert request["resident_id"] == str(IDS.of(r))
    assert request["link_target"] == "case"
    assert SECRET not in str(request)
    mine = await service.client.get(
        f"/me/cases/{case.case_id}/messages", headers=service.resident(r)
    )
    assert mine.json()["unread"] == 1
    assert mine.json()["messages"][0]["author"] == "professional"


async def test_only_the_case_s_resident_their_guardian_and_its_organisation_see_the_messages(
    service: Service,
) -> None:
    o, r, child = org(), sub(), sub()
    case = submitted(o, r)
    childs = submitted(o, child, proxy_contact=True, guardian_id=IDS.of(r))
    await service.applied(case, childs)

    assert (
        await service.client.get(
            f"/me/cases/{case.case_id}/messages", headers=service.resident(sub())
        )
    ).status_code == 404
    assert (
        await service.client.get(
            f"/cases/{case.case_id}/messages", headers=service.professional(org())
        )
    ).status_code == 404
    assert (
        await service.client.post(
            f"/cases/{case.case_id}/messages",
            json={"text": "hi"},
            headers=service.professional(org()),
        )
    ).status_code == 404
    # A guardian writes on the child's case; the child's id is the case's resident.
    guardian = await service.client.post(
        f"/me/cases/{childs.case_id}/messages",
        json={"text": "for my child"},
        headers=service.resident(r, children=(child,)),
    )
    assert guardian.status_code == 201, guardian.text
    # A private record never leaves intake: messaging does not know it.
    assert (
        await service.client.post(
            f"/me/cases/{uuid.uuid4()}/messages", json={"text": "hi"}, headers=service.resident(r)
        )
    ).status_code == 404


async def test_nobody_writes_on_an_anonymous_submission_or_a_case_closed_without_consent(
    service: Service,
) -> None:
    o, r = org(), sub()
    anonymous = submitted(o, r, identification="anonymous", phone_contact_allowed=False)
    closed = submitted(o, r)
    await service.applied(
        anonymous,
        closed,
        CaseClosed(
            case_id=closed.case_id,
            resident_id=closed.resident_id,
            reason="professional_without_consent",
            closed_by="professional",
            professional_id="nurse-1",
            closed_at=datetime.now(UTC),
        ),
    )
    for case_id in (anonymous.case_id, closed.case_id):
        for path, headers in (
            (f"/cases/{case_id}/messages", service.professional(o)),
            (f"/me/cases/{case_id}/messages", service.resident(r)),
        ):
            refused = await service.client.post(path, json={"text": "hello"}, headers=headers)
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
    assert await service.outbox_of(str(closed.case_id)) == []


async def test_bad_text_is_refused_with_a_problem_and_nothing_is_stored(service: Service) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)
    for text in ("see ftp://files.example.org/x", "x" * 5001, "   ", "javascript:alert(1)"):
        refused = await service.client.post(
            f"/me/cases/{case.case_id}/messages", json={"text": text}, headers=service.resident(r)
        )
        assert refused.status_code == 422, text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "ftp" not in refused.text
        assert "alert" not in refused.text
    ok = await service.client.post(
        f"/me/cases/{case.case_id}/messages",
        json={"text": "see https://example.org/a at 10:30"},
        headers=service.resident(r),
    )
    assert ok.status_code == 201
    stored = await service.sql(
        "SELECT count(*) FROM case_messages WHERE case_id = :c", c=case.case_id
    )
    assert stored[0][0] == 1


async def test_pages_go_from_newest_to_oldest_and_never_repeat(service: Service) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)
    for i in range(3):
        await service.client.post(
            f"/me/cases/{case.case_id}/messages",
            json={"text": f"r{i}"},
            headers=service.resident(r),
        )
        await service.client.post(
            f"/cases/{case.case_id}/messages",
            json={"text": f"p{i}"},
            headers=service.professional(o, sub=f"n{i}"),
        )
    seen, before = [], None
    while True:
        params = {"limit": 4} | ({"before": before} if before else {})
        page = (
            await service.client.get(
                f"/me/cases/{case.case_id}/messages", params=params, headers=service.resident(r)
            )
        ).json()
        seen += [m["text"] for m in page["messages"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == ["p2", "r2", "p1", "r1", "p0", "r0"]


async def test_a_sender_over_the_limit_gets_429_with_retry_after(service: Service) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)
    for i in range(LIMIT):
        ok = await service.client.post(
            f"/me/cases/{case.case_id}/messages",
            json={"text": f"m{i}"},
            headers=service.resident(r),
        )
        assert ok.status_code == 201
    refused = await service.client.post(
        f"/me/cases/{case.case_id}/messages", json={"text": "one more"}, headers=service.resident(r)
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 600
    # Another sender on the same case is not limited by it.
    other = await service.client.post(
        f"/cases/{case.case_id}/messages", json={"text": "answer"}, headers=service.professional(o)
    )
    assert other.status_code == 201


async def test_an_objection_names_the_open_proposal_and_none_is_refused(service: Service) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)
    no_proposal = await service.client.post(
        f"/me/cases/{case.case_id}/messages",
        json={"text": "I object", "objects_to_closing": True},
        headers=service.resident(r),
    )
    assert no_proposal.status_code == 409

    proposed_at = datetime.now(UTC)
    proposal = ClosingProposed(
        case_id=case.case_id,
        resident_id=case.resident_id,
        proposal_id=uuid.uuid4(),
        proposed_by="professional",
        professional_id="nurse-1",
        proposed_at=proposed_at,
        objection_deadline=objection_deadline(proposed_at),
    )
    await service.applied(proposal)
    objected = await service.client.post(
        f"/me/cases/{case.case_id}/messages",
        json={"text": "I object", "objects_to_closing": True},
        headers=service.resident(r),
    )
    assert objected.status_code == 201, objected.text
    assert objected.json()["objects_to_closing"] is True
    sent = [p for t, p in await service.outbox_of(str(case.case_id)) if t.endswith("sent.v1")]
    assert sent[-1]["objects_to_proposal_id"] == str(proposal.proposal_id)


async def test_a_late_objection_is_refused(service: Service) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    proposed_at = datetime.now(UTC) - timedelta(hours=73)
    await service.applied(
        case,
        ClosingProposed(
            case_id=case.case_id,
            resident_id=case.resident_id,
            proposal_id=uuid.uuid4(),
            proposed_by="professional",
            professional_id="nurse-1",
            proposed_at=proposed_at,
            objection_deadline=objection_deadline(proposed_at),
        ),
    )
    late = await service.client.post(
        f"/me/cases/{case.case_id}/messages",
        json={"text": "I object", "objects_to_closing": True},
        headers=service.resident(r),
    )
    assert late.status_code == 409


async def test_every_professional_read_is_audited_and_auditors_page_the_records(
    service: Service,
) -> None:
    o, r = org(), sub()
    case = submitted(o, r)
    await service.applied(case)
    for _ in range(2):
        await service.client.get(f"/cases/{case.case_id}/messages", headers=service.professional(o))
    # A resident's read is not a professional's read: not audited.
    await service.client.get(f"/me/cases/{case.case_id}/messages", headers=service.resident(r))

    page = await service.client.get(
        "/audit-records",
        params={"case_id": str(case.case_id), "limit": 1},
        headers=service.professional(o, sub="auditor-1", roles=("auditor",)),
    )
    assert page.status_code == 200, page.text
    [record] = page.json()["items"]
    assert record["service"] == "messaging"
    assert record["actor"] == "nurse-1"
    assert record["purpose"] == "care"
    assert record["resident_id"] == str(IDS.of(r))
    second = await service.client.get(
        "/audit-records",
        params={"case_id": str(case.case_id), "limit": 1, "cursor": page.json()["next_cursor"]},
        headers=service.professional(o, sub="auditor-1", roles=("auditor",)),
    )
    assert len(second.json()["items"]) == 1
    assert second.json()["next_cursor"] is None
    # Not an auditor: refused; another organisation's auditor sees none of them.
    assert (
        await service.client.get("/audit-records", headers=service.professional(o))
    ).status_code == 403
    other = await service.client.get(
        "/audit-records",
        params={"case_id": str(case.case_id)},
        headers=service.professional(org(), roles=("auditor",)),
    )
    assert other.json()["items"] == []
