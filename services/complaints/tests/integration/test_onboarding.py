"""Regions, patient boards and clinics: who may set what, what residents are told, the
import of a clinic file and the region sync with the e-services directory."""

from __future__ import annotations

import random

from careflow.complaints.application.clinics import sync_regions

from .conftest import Service, hsa

SUPPORT = ("support-1", "platform", "support", "platform_support")


def admin(service: Service, region: str) -> dict[str, str]:
    return service.pro(f"admin-{region}", region, "office", "regional_admin")


def complaint(region: str, clinic: str | None = None, **more: object) -> dict[str, object]:
    body: dict[str, object] = {
        "region_code": region,
        "kind": "complaint",
        "where": "Akutmottagningen, entrén",
        "description": "Jag fick vänta i sex timmar.",
    }
    if clinic:
        body["clinic_hsa_id"] = clinic
    return body | more


async def test_no_board_closes_the_region_to_residents_with_a_clear_reason(
    service: Service,
) -> None:
    r = await service.client.put(
        "/support/regions/20", json={"name": "Dalarna"}, headers=service.pro(*SUPPORT)
    )
    assert r.status_code == 200
    assert r.json()["open"] is False

    refused = await service.client.post(
        "/complaints", json=complaint("20"), headers=service.resident("resident-20")
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "patient board is not set" in refused.json()["detail"]

    seen = await service.client.get("/admin/regions/20", headers=admin(service, "20"))
    assert seen.status_code == 200
    assert seen.json()["open"] is False
    assert "patient board is not set" in seen.json()["closed_reason"]
    assert seen.json()["patient_board"] is None


async def test_only_platform_support_sets_the_board_which_opens_the_region(
    service: Service,
) -> None:
    await service.client.put(
        "/support/regions/21", json={"name": "Gävleborg"}, headers=service.pro(*SUPPORT)
    )
    board = {"hsa_id": hsa("P"), "name": "Patientnämnden Gävleborg"}
    by_admin = await service.client.put(
        "/support/regions/21/patient-board", json=board, headers=admin(service, "21")
    )
    assert by_admin.status_code == 403
    assert (await service.client.get("/admin/regions/21", headers=admin(service, "21"))).json()[
        "open"
    ] is False

    by_support = await service.client.put(
        "/support/regions/21/patient-board", json=board, headers=service.pro(*SUPPORT)
    )
    assert by_support.status_code == 200
    seen = (await service.client.get("/admin/regions/21", headers=admin(service, "21"))).json()
    assert seen["open"] is True
    assert seen["closed_reason"] is None
    assert seen["patient_board"]["hsa_id"] == board["hsa_id"]
    sent = await service.client.post(
        "/complaints", json=complaint("21"), headers=service.resident("resident-21")
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["place_kind"] == "board"


async def test_a_regional_admin_administers_their_own_region_only(service: Service) -> None:
    await service.open_region("22", hsa("P"))
    clinic = service.directory.add(hsa(), "22")
    r = await service.client.post(
        "/admin/regions/22/clinics", json={"hsa_id": clinic}, headers=admin(service, "23")
    )
    assert r.status_code == 403
    r = await service.client.get("/admin/regions/22", headers=service.resident("r"))
    assert r.status_code == 403


async def test_a_clinic_is_added_only_when_known_activated_and_of_the_region(
    service: Service,
) -> None:
    await service.open_region("24", hsa("P"))
    known = service.directory.add(hsa(), "24")
    inactive = service.directory.add(hsa(), "24", activated=False)
    elsewhere = service.directory.add(hsa(), "25")
    headers = admin(service, "24")
    for hsa_id, words in (
        (hsa(), "does not know"),
        (inactive, "not activated"),
        (elsewhere, "another region"),
    ):
        r = await service.client.post(
            "/admin/regions/24/clinics", json={"hsa_id": hsa_id}, headers=headers
        )
        assert r.status_code == 409, r.text
        assert words in r.json()["detail"]
    bad = await service.client.post(
        "/admin/regions/24/clinics", json={"hsa_id": "nope"}, headers=headers
    )
    assert bad.status_code == 422
    r = await service.client.post(
        "/admin/regions/24/clinics", json={"hsa_id": known}, headers=headers
    )
    assert r.status_code == 201
    listed = await service.client.get("/admin/regions/24/clinics", headers=headers)
    assert [c["hsa_id"] for c in listed.json()] == [known]
    found = await service.client.get(
        "/regions/24/clinics", params={"q": known[-6:]}, headers=service.resident("r-24")
    )
    assert [c["hsa_id"] for c in found.json()] == [known]


async def test_a_10000_row_import_judges_each_row_applies_only_valid_ones_and_twice_changes_nothing(
    service: Service,
) -> None:
    await service.open_region("26", hsa("P"))
    already = service.directory.add(hsa(), "26")
    await service.add_clinic("26", already)
    rng = random.Random(26)
    lines, expected = [], []
    valid_ids = []
    for _ in range(10_000):
        roll = rng.random()
        if roll < 0.5:
            hsa_id = service.directory.add(hsa(), "26")
            valid_ids.append(hsa_id)
            lines.append(hsa_id), expected.append("valid")
        elif roll < 0.6:
            lines.append("SE12-" + str(rng.randint(0, 999))), expected.append("malformed")
        elif roll < 0.7:
            lines.append(hsa()), expected.append("unknown_hsa_id")
        elif roll < 0.8:
            lines.append(service.directory.add(hsa(), "26", activated=False))
            expected.append("not_activated")
        elif roll < 0.9:
            lines.append(service.directory.add(hsa(), "27")), expected.append("other_region")
        elif valid_ids:
            lines.append(rng.choice(valid_ids)), expected.append("duplicate")
        else:
            lines.append(already), expected.append("already_added")
    content = "\n".join(lines)
    headers = admin(service, "26")

    dry = await service.client.post(
        "/admin/regions/26/clinic-imports",
        json={"format": "txt", "content": content},
        headers=headers,
    )
    assert dry.status_code == 200, dry.text
    assert [row["verdict"] for row in dry.json()["rows"]] == expected
    assert [row["line"] for row in dry.json()["rows"]] == list(range(1, 10_001))
    assert dry.json()["applied"] == 0
    before = await service.client.get("/admin/regions/26", headers=headers)
    assert before.json()["clinics"] == 1

    applied = await service.client.post(
        "/admin/regions/26/clinic-imports",
        json={"format": "txt", "content": content, "apply": True},
        headers=headers,
    )
    assert applied.json()["applied"] == len(valid_ids) == expected.count("valid")
    after = await service.client.get("/admin/regions/26", headers=headers)
    assert after.json()["clinics"] == 1 + len(valid_ids)

    again = await service.client.post(
        "/admin/regions/26/clinic-imports",
        json={"format": "txt", "content": content, "apply": True},
        headers=headers,
    )
    assert again.json()["applied"] == 0
    assert again.json()["counts"]["valid"] == 0
    assert again.json()["counts"]["already_added"] == len(valid_ids) + expected.count(
        "already_added"
    )
    assert (await service.client.get("/admin/regions/26", headers=headers)).json()[
        "clinics"
    ] == 1 + len(valid_ids)


async def test_a_csv_import_with_a_header_adds_its_valid_rows(service: Service) -> None:
    await service.open_region("28", hsa("P"))
    a, b = service.directory.add(hsa(), "28"), service.directory.add(hsa(), "28")
    content = f"hsa_id;namn\n{a};Vårdcentral A\n{b};Vårdcentral B\n{a};igen\n"
    r = await service.client.post(
        "/admin/regions/28/clinic-imports",
        json={"format": "csv", "content": content, "apply": True},
        headers=admin(service, "28"),
    )
    assert [(row["line"], row["verdict"]) for row in r.json()["rows"]] == [
        (2, "valid"),
        (3, "valid"),
        (4, "duplicate"),
    ]
    assert r.json()["applied"] == 2


async def test_a_clinic_that_changes_region_in_the_directory_changes_region_here(
    service: Service,
) -> None:
    await service.open_region("29", hsa("P"))
    await service.open_region("30", hsa("P"))
    clinic = hsa()
    await service.add_clinic("29", clinic)
    sent = await service.client.post(
        "/complaints", json=complaint("29", clinic), headers=service.resident("resident-29")
    )
    case_id = sent.json()["case_id"]

    service.directory.add(clinic, "30")
    assert await sync_regions(service.context) >= 1

    assert clinic not in [
        c["hsa_id"]
        for c in (
            await service.client.get("/admin/regions/29/clinics", headers=admin(service, "29"))
        ).json()
    ]
    assert clinic in [
        c["hsa_id"]
        for c in (
            await service.client.get("/admin/regions/30/clinics", headers=admin(service, "30"))
        ).json()
    ]
    # The case went along: the clinic's receivers, now of region 30, still see it.
    receiver = service.pro("rec-29", "30", clinic, "case_receiver")
    assert (
        await service.client.get(f"/staff/cases/{case_id}", headers=receiver)
    ).status_code == 200
    old = service.pro("rec-29", "29", clinic, "case_receiver")
    assert (await service.client.get(f"/staff/cases/{case_id}", headers=old)).status_code == 404


async def test_an_unanswering_directory_is_a_503_and_changes_nothing(service: Service) -> None:
    await service.open_region("31", hsa("P"))
    await service.directory.stop()
    try:
        r = await service.client.post(
            "/admin/regions/31/clinics", json={"hsa_id": hsa()}, headers=admin(service, "31")
        )
        assert r.status_code == 503
        assert (await service.client.get("/admin/regions/31", headers=admin(service, "31"))).json()[
            "clinics"
        ] == 0
    finally:
        await service.directory.start_again()
