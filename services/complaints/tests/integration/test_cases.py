"""Residents' cases through the staff view: routing, groups, distribution, replies,
re-targeting, due dates, overdue cases and the audited reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from careflow.complaints.adapters.telemetry import OVERDUE
from careflow.testing.probe_service import wait_until

from .conftest import IDS, Service, child, hsa
from .test_onboarding import complaint

REGION = "40"


async def opened(service: Service) -> tuple[str, str]:
    """The module's region (opened once) and a fresh clinic of it."""
    board = getattr(service, "board_40", None)
    if board is None:
        board = hsa("P")
        await service.open_region(REGION, board)
        service.board_40 = board  # type: ignore[attr-defined]
    clinic = hsa()
    await service.add_clinic(REGION, clinic)
    return board, clinic


async def send(service: Service, resident: str = "resident-40", **body: object) -> dict:  # type: ignore[type-arg]
    r = await service.client.post(
        "/complaints", json=complaint(REGION, **body), headers=service.resident(resident)
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_complaint_to_a_clinic_reaches_its_receivers_and_nobody_elses(
    service: Service,
) -> None:
    _board, clinic = await opened(service)
    _board, other = await opened(service)
    case = await send(service, clinic=clinic, answer_channel="message")
    assert (case["place_hsa_id"], case["handled_in"], case["status"]) == (
        clinic,
        "staff_view",
        "received",
    )

    receiver = service.pro("rec-a", REGION, clinic, "case_receiver")
    listed = await service.client.get("/staff/cases", headers=receiver)
    assert [c["case_id"] for c in listed.json()["items"]] == [case["case_id"]]
    elsewhere = service.pro("rec-b", REGION, other, "case_receiver")
    assert (await service.client.get("/staff/cases", headers=elsewhere)).json()["items"] == []
    assert (
        await service.client.get(f"/staff/cases/{case['case_id']}", headers=elsewhere)
    ).status_code == 404
    detail = await service.client.get(f"/staff/cases/{case['case_id']}", headers=receiver)
    assert detail.json()["description"] == "Jag fick vänta i sex timmar."
    events = await service.outbox_events("careflow.complaint.submitted.v1")
    mine = [e for e in events if e["case_id"] == case["case_id"]]
    assert mine
    assert "Jag fick" not in str(mine)


async def test_a_clinic_of_another_region_or_not_in_the_service_is_refused(
    service: Service,
) -> None:
    await opened(service)
    r = await service.client.post(
        "/complaints", json=complaint(REGION, hsa()), headers=service.resident("resident-40")
    )
    assert r.status_code == 409
    assert "no such clinic" in r.json()["detail"]


async def test_anonymous_cases_are_allowed_without_an_answer_and_name_nobody(
    service: Service,
) -> None:
    _board, clinic = await opened(service)
    refused = await service.client.post(
        "/complaints",
        json=complaint(REGION, clinic, anonymous=True, answer_channel="letter"),
        headers=service.resident("anon-40"),
    )
    assert refused.status_code == 422
    anonymous_login = await service.client.post(
        "/complaints", json=complaint(REGION, clinic), headers=service.resident("x", strong=False)
    )
    assert anonymous_login.status_code == 403
    case = await service.client.post(
        "/complaints",
        json=complaint(REGION, clinic, anonymous=True),
        headers=service.resident("x", strong=False),
    )
    assert case.status_code == 201
    assert case.json()["anonymous"] is True
    mine = await service.client.get("/me/complaints", headers=service.resident("x"))
    assert mine.json()["items"] == []
    handler = service.pro("rec-anon", REGION, clinic, "case_receiver")
    reply = await service.client.post(
        f"/staff/cases/{case.json()['case_id']}/replies",
        json={"text": "Tack", "final": False},
        headers=handler,
    )
    assert reply.status_code == 409
    assert "anonymous" in reply.json()["detail"]


async def test_a_handler_sees_only_cases_given_to_them_or_their_group(service: Service) -> None:
    _board, clinic = await opened(service)
    first, second, third = [await send(service, clinic=clinic) for _ in range(3)]
    receiver = service.pro("rec-g", REGION, clinic, "case_receiver")
    handler = service.pro("handler-1", REGION, clinic, "case_handler")
    assert (await service.client.get("/staff/cases", headers=handler)).json()["items"] == []

    group = await service.client.post(
        "/staff/groups", json={"name": "Klagomål", "members": ["handler-1"]}, headers=receiver
    )
    assert group.status_code == 201
    group_id = group.json()["group_id"]
    by_handler = await service.client.post("/staff/groups", json={"name": "Egen"}, headers=handler)
    assert by_handler.status_code == 403

    await service.client.post(
        f"/staff/cases/{first['case_id']}/distribution",
        json={"handler_id": "handler-1"},
        headers=receiver,
    )
    await service.client.post(
        f"/staff/cases/{second['case_id']}/distribution",
        json={"group_id": group_id},
        headers=receiver,
    )
    await service.client.post(
        f"/staff/cases/{third['case_id']}/distribution",
        json={"handler_id": "handler-2"},
        headers=receiver,
    )
    seen = {
        c["case_id"]
        for c in (await service.client.get("/staff/cases", headers=handler)).json()["items"]
    }
    assert seen == {first["case_id"], second["case_id"]}
    assert (
        await service.client.get(f"/staff/cases/{third['case_id']}", headers=handler)
    ).status_code == 404
    not_receiver = await service.client.post(
        f"/staff/cases/{first['case_id']}/distribution",
        json={"handler_id": "handler-2"},
        headers=handler,
    )
    assert not_receiver.status_code == 403

    # Redistributed: the first case moves to handler-2 and out of handler-1's view.
    moved = await service.client.post(
        f"/staff/cases/{first['case_id']}/distribution",
        json={"handler_id": "handler-2"},
        headers=receiver,
    )
    assert moved.json()["handler_id"] == "handler-2"
    seen = {
        c["case_id"]
        for c in (await service.client.get("/staff/cases", headers=handler)).json()["items"]
    }
    assert seen == {second["case_id"]}


async def test_a_receiver_sends_a_partial_reply_the_handler_the_answer_which_notifies_the_resident(
    service: Service,
) -> None:
    _board, clinic = await opened(service)
    case = await send(
        service, resident="resident-answered", clinic=clinic, answer_channel="message"
    )
    receiver = service.pro("rec-r", REGION, clinic, "case_receiver")
    handler = service.pro("handler-r", REGION, clinic, "case_handler")
    await service.client.post(
        f"/staff/cases/{case['case_id']}/distribution",
        json={"handler_id": "handler-r"},
        headers=receiver,
    )
    partial = await service.client.post(
        f"/staff/cases/{case['case_id']}/replies",
        json={"text": "Vi utreder.", "final": False},
        headers=receiver,
    )
    assert partial.status_code == 201
    assert partial.json()["status"] == "distributed"
    final_by_receiver = await service.client.post(
        f"/staff/cases/{case['case_id']}/replies",
        json={"text": "Svar", "final": True},
        headers=receiver,
    )
    assert final_by_receiver.status_code == 403

    answered = await service.client.post(
        f"/staff/cases/{case['case_id']}/replies",
        json={"text": "Svar: förlåt.", "final": True},
        headers=handler,
    )
    assert answered.status_code == 201
    assert answered.json()["status"] == "answered"
    detail = (await service.client.get(f"/staff/cases/{case['case_id']}", headers=handler)).json()
    assert [(r["text"], r["final"]) for r in detail["replies"]] == [
        ("Vi utreder.", False),
        ("Svar: förlåt.", True),
    ]

    requests = await service.outbox_events("careflow.notification.requested.v1")
    assert [
        r["purpose"] for r in requests if r["resident_id"] == str(IDS.of("resident-answered"))
    ] == ["new_content"]
    mine = (
        await service.client.get("/me/complaints", headers=service.resident("resident-answered"))
    ).json()
    assert [c["status"] for c in mine["items"]] == ["answered"]


async def test_a_board_case_about_an_unknown_clinic_is_retargeted_to_the_new_clinics_receivers(
    service: Service,
) -> None:
    board, clinic = await opened(service)
    case = await send(service, unknown_clinic="Den lilla vårdcentralen vid torget")
    assert (case["place_kind"], case["place_hsa_id"]) == ("board", board)
    board_receiver = service.pro("board-rec", REGION, board, "case_receiver")
    clinic_receiver = service.pro("clinic-rec", REGION, clinic, "case_receiver")
    detail = (
        await service.client.get(f"/staff/cases/{case['case_id']}", headers=board_receiver)
    ).json()
    assert detail["unknown_clinic"] == "Den lilla vårdcentralen vid torget"
    assert case["case_id"] not in str(
        (await service.client.get("/staff/cases", headers=clinic_receiver)).json()
    )

    moved = await service.client.post(
        f"/staff/cases/{case['case_id']}/target",
        json={"clinic_hsa_id": clinic},
        headers=board_receiver,
    )
    assert moved.status_code == 200
    assert moved.json()["place_hsa_id"] == clinic
    assert case["case_id"] in str(
        (await service.client.get("/staff/cases", headers=clinic_receiver)).json()
    )
    assert case["case_id"] not in str(
        (await service.client.get("/staff/cases", headers=board_receiver)).json()
    )
    again = await service.client.post(
        f"/staff/cases/{case['case_id']}/target",
        json={"clinic_hsa_id": clinic},
        headers=clinic_receiver,
    )
    assert again.status_code == 409


async def test_an_answer_is_due_in_four_weeks_or_two_for_a_child(service: Service) -> None:
    _board, clinic = await opened(service)
    adult = await send(service, clinic=clinic)
    gap = datetime.fromisoformat(adult["due_at"]) - datetime.fromisoformat(adult["submitted_at"])
    assert gap == timedelta(days=28)
    kid = child(date.today() - timedelta(days=365 * 10))
    r = await service.client.post(
        "/complaints",
        json=complaint(REGION, clinic, for_child=kid.subject),
        headers=service.resident("guardian-40", children=[kid]),
    )
    gap = datetime.fromisoformat(r.json()["due_at"]) - datetime.fromisoformat(
        r.json()["submitted_at"]
    )
    assert gap == timedelta(days=14)
    not_theirs = await service.client.post(
        "/complaints",
        json=complaint(REGION, clinic, for_child="someone-else"),
        headers=service.resident("guardian-40", children=[kid]),
    )
    assert not_theirs.status_code == 403


async def test_overdue_cases_are_listed_on_request_and_counted_in_a_metric(
    service: Service,
) -> None:
    _board, clinic = await opened(service)
    late = await send(service, clinic=clinic)
    receiver = service.pro("rec-late", REGION, clinic, "case_receiver")
    assert (await service.client.get("/staff/cases?overdue=true", headers=receiver)).json()[
        "items"
    ] == []
    service.clock.offset = timedelta(days=29)
    try:
        overdue = (await service.client.get("/staff/cases?overdue=true", headers=receiver)).json()[
            "items"
        ]
        assert [c["case_id"] for c in overdue] == [late["case_id"]]
        assert overdue[0]["overdue"] is True
        await wait_until(lambda: (OVERDUE.value or 0) >= 1, within=10)
        metrics = (await service.client.get("/metrics")).text
        line = next(
            m for m in metrics.splitlines() if m.startswith("careflow_complaints_overdue_cases")
        )
        labels = line.split("{", 1)[1].split("}", 1)[0].split(",") if "{" in line else []
        # Only the exporter's scope labels: nothing about a case, a clinic or a resident.
        assert all(label.startswith("otel_scope_") for label in labels), line
        assert float(line.rsplit(" ", 1)[1]) >= 1
    finally:
        service.clock.offset = timedelta()


async def test_every_staff_read_is_audited_and_auditors_of_the_region_query_the_log(
    service: Service,
) -> None:
    _board, clinic = await opened(service)
    case = await send(service, resident="resident-audited", clinic=clinic)
    receiver = service.pro("rec-audit", REGION, clinic, "case_receiver")
    await service.client.get("/staff/cases", headers=receiver)
    await service.client.get(f"/staff/cases/{case['case_id']}", headers=receiver)

    auditor = service.pro("auditor-1", REGION, "audit", "auditor")
    page = await service.client.get(f"/audit-records?case_id={case['case_id']}", headers=auditor)
    assert page.status_code == 200
    actions = [(r["actor"], r["action"], r["purpose"]) for r in page.json()["items"]]
    assert actions == [
        ("rec-audit", "read_case", "complaint_handling"),
        ("rec-audit", "list_cases", "complaint_handling"),
    ]
    other_region = service.pro("auditor-2", "41", "audit", "auditor")
    assert (
        await service.client.get(f"/audit-records?case_id={case['case_id']}", headers=other_region)
    ).json()["items"] == []
    assert (await service.client.get("/audit-records", headers=receiver)).status_code == 403


async def test_bad_input_gets_problem_details_and_changes_nothing(service: Service) -> None:
    await opened(service)
    before = len(await service.outbox_events("careflow.complaint.submitted.v1"))
    for body in (
        {"region_code": REGION},
        complaint(REGION, kind="praise"),
        complaint("4"),
        complaint(REGION, where=""),
        complaint(REGION, hsa(), unknown_clinic="both"),
    ):
        r = await service.client.post("/complaints", json=body, headers=service.resident("r-bad"))
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await service.client.post("/complaints", json=complaint(REGION))).status_code == 401
    assert len(await service.outbox_events("careflow.complaint.submitted.v1")) == before
