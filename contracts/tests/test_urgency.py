"""The urgency scale: defaults, ordering, P0, organisation overrides and its doc."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from careflow.contracts.urgency import (
    AUTOMATIC_CODES,
    DEFAULT_SCALE,
    URGENCY_CODES,
    load_scale,
    load_scales,
    rank_of,
    render_markdown,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "urgency.md"


def test_the_default_scale_has_p0_to_p8_in_rank_order() -> None:
    assert [level.code for level in DEFAULT_SCALE] == [f"P{n}" for n in range(9)]
    assert [level.rank for level in DEFAULT_SCALE] == list(range(9))
    assert tuple(f"P{n}" for n in range(9)) == URGENCY_CODES


def test_the_assessment_sets_p0_to_p5_and_p8_and_p6_p7_are_optional() -> None:
    assert {lvl.code for lvl in DEFAULT_SCALE if lvl.automatic} == AUTOMATIC_CODES
    assert {lvl.code for lvl in DEFAULT_SCALE if not lvl.automatic} == {"P6", "P7"}
    assert DEFAULT_SCALE.enabled_codes() == ("P0", "P1", "P2", "P3", "P4", "P5", "P8")


def test_only_p0_is_treated_immediately_with_a_zero_target() -> None:
    assert [lvl.code for lvl in DEFAULT_SCALE if lvl.treat_immediately] == ["P0"]
    assert DEFAULT_SCALE.level("P0").target_response == timedelta(0)


def test_default_targets_grow_with_the_rank_and_p8_needs_no_contact() -> None:
    assert DEFAULT_SCALE.level("P1").target_response == timedelta(hours=2)
    targets = [lvl.target_response for lvl in DEFAULT_SCALE if lvl.code != "P8"]
    assert targets == sorted(t for t in targets if t is not None)
    assert DEFAULT_SCALE.level("P8").target_response is None


def test_sorting_by_the_scale_puts_the_most_urgent_first_and_no_class_last() -> None:
    codes = ["P8", None, "P3", "P0", "P6"]
    assert sorted(codes, key=DEFAULT_SCALE.sort_key) == ["P0", "P3", "P6", "P8", None]
    with pytest.raises(ValueError, match="unknown urgency class"):
        rank_of("P9")


def test_no_override_is_the_default_scale() -> None:
    assert load_scale() is DEFAULT_SCALE


def test_an_organisation_enables_p6_and_changes_targets_from_json() -> None:
    scale = load_scale(
        json.dumps(
            {
                "organisation_id": "org-helsinki",
                "levels": {
                    "P1": {"target_response": "PT3H"},
                    "P6": {"enabled": True, "label": "Physio", "target_response": "P21D"},
                },
            }
        )
    )
    assert scale.organisation_id == "org-helsinki"
    assert scale.level("P1").target_response == timedelta(hours=3)
    assert scale.level("P6").enabled
    assert scale.level("P6").label == "Physio"
    assert scale.level("P6").target_response == timedelta(days=21)
    assert scale.level("P2") == DEFAULT_SCALE.level("P2")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"levels": {"P9": {"label": "x"}}}, "unknown urgency class"),
        ({"levels": {"P2": {"rank": 5}}}, "cannot be overridden"),
        ({"levels": {"P6": {"automatic": True}}}, "cannot be overridden"),
        ({"levels": {"P1": {"treat_immediately": True}}}, "cannot be overridden"),
        ({"levels": {"P3": {"enabled": False}}}, "cannot be disabled"),
        ({"levels": {"P0": {"target_response": "PT1H"}}}, "must be 0"),
        ({"levels": {"P2": {"target_response": "PT1H"}}}, "shorter than that of a more urgent"),
        ({"levels": {"P7": {"enabled": True, "target_response": "P1D"}}}, "shorter than"),
        ({"levels": {"P4": {"target_response": "-PT1H"}}}, "cannot be negative"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_an_inconsistent_override_is_rejected(override: dict, message: str) -> None:
    with pytest.raises((ValueError, ValidationError), match=message):
        load_scale(override)


def test_a_disabled_optional_class_does_not_constrain_the_order() -> None:
    scale = load_scale({"levels": {"P5": {"target_response": "P60D"}}})
    assert scale.level("P6").target_response == timedelta(days=28)  # disabled, ignored


def test_the_doc_lists_every_class_of_the_default_scale() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = re.findall(r"^\| (P\d) \|", text, flags=re.MULTILINE)
    assert listed == [level.code for level in DEFAULT_SCALE]


def test_the_doc_table_is_what_the_default_scale_renders() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- BEGIN GENERATED TABLE -->\n")[1].split("<!-- END GENERATED TABLE -->")[
        0
    ]
    assert table == render_markdown(DEFAULT_SCALE), (
        "regenerate the table in contracts/docs/urgency.md"
    )


def test_each_class_has_its_target_and_no_class_has_none() -> None:
    assert DEFAULT_SCALE.target("P1") == timedelta(hours=2)
    assert DEFAULT_SCALE.target("P8") is None
    assert DEFAULT_SCALE.target(None) is None


def test_an_organisation_uses_its_own_scale_and_the_others_the_default() -> None:
    scales = load_scales({"org-1": '{"levels": {"P1": {"target_response": "PT3H"}}}'})
    assert scales.for_organisation("org-1").target("P1") == timedelta(hours=3)
    assert scales.for_organisation("org-1").organisation_id == "org-1"
    assert scales.for_organisation("org-2") == DEFAULT_SCALE


def test_the_default_for_unconfigured_organisations_can_be_overridden() -> None:
    scales = load_scales({}, default={"levels": {"P2": {"target_response": "PT12H"}}})
    assert scales.for_organisation("org-9").target("P2") == timedelta(hours=12)


def test_a_scale_filed_under_another_organisation_is_refused() -> None:
    with pytest.raises(ValueError, match="names 'org-2'"):
        load_scales({"org-1": {"organisation_id": "org-2", "levels": {}}})
