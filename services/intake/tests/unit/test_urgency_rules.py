"""The urgency rule set: each rule of symptoms-1, answer checks, and versioning."""

from __future__ import annotations

from typing import Any

import pytest

from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import InvalidInput
from careflow.intake.domain.forms import FormPolicy, admit
from careflow.intake.domain.urgency_rules import (
    CURRENT,
    RED_FLAGS,
    RULE_SETS,
    SYMPTOMS_1,
    AtLeast,
    Question,
    Rule,
    RuleSet,
    Yes,
    rule_set,
)

from .builders import NO_RED_FLAGS, POLICY, T0, TODAY, resident, symptom_form


def assess(**answers: Any) -> tuple[str, tuple[str, ...]]:
    result = SYMPTOMS_1.assess({**NO_RED_FLAGS, **answers})
    return result.urgency, result.matched


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_any_red_flag_is_p0(flag: str) -> None:
    assert assess(**{flag: True}) == ("P0", (f"red_flag.{flag}",))


def test_a_red_flag_outranks_every_other_answer() -> None:
    urgency, matched = assess(chest_pain=True, fever=True, temperature=40.5, pain_score=9)
    assert (urgency, matched) == ("P0", ("red_flag.chest_pain",))


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"temperature": 40.0}, ("P1", ("fever.very_high",))),
        ({"fever": True, "neck_stiffness": True}, ("P1", ("fever.neck_stiffness",))),
        ({"pain_score": 8}, ("P1", ("pain.severe",))),
        ({"fever": True, "symptom_days": 5}, ("P2", ("fever.prolonged",))),
        ({"worsening": True}, ("P2", ("symptoms.worsening",))),
        ({"fever": True}, ("P3", ("fever",))),
        ({"pain_score": 5}, ("P3", ("pain.moderate",))),
        ({"symptom_days": 14}, ("P4", ("symptoms.long_lasting",))),
        ({"symptom_days": 7}, ("P5", ("symptoms.lasting",))),
        ({"pain_score": 1}, ("P5", ("pain.mild",))),
        ({}, ("P8", ())),
    ],
)
def test_each_rule_of_symptoms_1(answers: dict[str, Any], expected: tuple[str, tuple]) -> None:
    assert assess(**answers) == expected


@pytest.mark.parametrize(
    ("below", "expected"),
    [
        ({"temperature": 39.9}, "P8"),
        ({"fever": True, "symptom_days": 4}, "P3"),
        ({"pain_score": 7}, "P3"),
        ({"pain_score": 4}, "P5"),
        ({"symptom_days": 13}, "P5"),
        ({"symptom_days": 6}, "P8"),
        ({"pain_score": 0}, "P8"),
        ({"neck_stiffness": True}, "P8"),
    ],
)
def test_just_below_a_threshold_the_rule_does_not_match(
    below: dict[str, Any], expected: str
) -> None:
    assert assess(**below)[0] == expected


def test_the_most_urgent_match_wins_and_names_every_rule_that_gave_it() -> None:
    assert assess(fever=True, temperature=40.2, pain_score=9) == (
        "P1",
        ("fever.very_high", "pain.severe"),
    )


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_every_red_flag_must_be_answered(flag: str) -> None:
    answers = {k: v for k, v in NO_RED_FLAGS.items() if k != flag}
    with pytest.raises(InvalidInput, match=flag):
        SYMPTOMS_1.assess(answers)


@pytest.mark.parametrize(
    "answers",
    [
        {"chest_pain": "yes"},
        {"fever": 1},
        {"pain_score": True},
        {"pain_score": "8"},
        {"pain_score": 11},
        {"temperature": 29.9},
        {"symptom_days": -1},
        {"temperature": float("nan")},
        {"pain_score": float("inf")},
    ],
)
def test_answers_the_rules_would_misread_are_refused(answers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        SYMPTOMS_1.assess({**NO_RED_FLAGS, **answers})


def test_answers_the_rules_do_not_read_are_allowed_and_change_nothing() -> None:
    assert assess(fever=True, cough="dry", notes={"x": 1}) == ("P3", ("fever",))


def test_the_refusal_names_the_question_never_the_answer() -> None:
    with pytest.raises(InvalidInput) as refused:
        SYMPTOMS_1.assess({**NO_RED_FLAGS, "pain_score": "secret-value"})
    assert "secret-value" not in str(refused.value)


# -- versioning ---------------------------------------------------------------

#: A published version never changes. Changing a rule means a new version.
PUBLISHED = {"symptoms-1": "dc0a79785a5322ae"}


@pytest.mark.parametrize("version", sorted(RULE_SETS))
def test_a_published_rule_set_never_changes(version: str) -> None:
    assert RULE_SETS[version].fingerprint() == PUBLISHED[version], (
        f"{version} changed after publication: add a new version instead"
    )


def test_every_rule_set_is_published_and_current_is_one_of_them() -> None:
    assert set(RULE_SETS) == set(PUBLISHED)
    assert RULE_SETS[CURRENT.version] is CURRENT


def test_changing_one_threshold_changes_the_fingerprint() -> None:
    edited = RuleSet(
        SYMPTOMS_1.version,
        SYMPTOMS_1.questions,
        tuple(
            Rule(r.id, r.urgency, AtLeast("pain_score", 7)) if r.id == "pain.severe" else r
            for r in SYMPTOMS_1.rules
        ),
        SYMPTOMS_1.default,
    )
    assert edited.fingerprint() != SYMPTOMS_1.fingerprint()


SYMPTOMS_TEST_2 = RuleSet(
    version="symptoms-test-2",
    questions={**SYMPTOMS_1.questions},
    rules=(*SYMPTOMS_1.rules, Rule("fever.any", "P2", Yes("fever"))),
    default="P8",
)


def test_the_case_records_the_version_that_assessed_it() -> None:
    answers = {**NO_RED_FLAGS, "fever": True}
    old_form = symptom_form(answers=answers)
    old = Case.submit(old_form, admit(old_form, resident(), POLICY, TODAY), answers, T0)
    new_policy = FormPolicy(POLICY.anonymous_pre_information_forms, urgency_rules=SYMPTOMS_TEST_2)
    new = Case.submit(old_form, admit(old_form, resident(), new_policy, TODAY), answers, T0)
    assert (old.urgency, old.urgency_rules) == ("P3", "symptoms-1")
    assert (new.urgency, new.urgency_rules) == ("P2", "symptoms-test-2")


def test_a_stored_case_is_recomputed_with_its_own_version() -> None:
    answers = {**NO_RED_FLAGS, "fever": True}
    form = symptom_form(answers=answers)
    case = Case.submit(form, admit(form, resident(), POLICY, TODAY), answers, T0)
    assert case.results is not None
    assert case.urgency_rules is not None
    assert rule_set(case.urgency_rules).assess(case.results).urgency == case.urgency


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(InvalidInput):
        rule_set("symptoms-0")


def test_a_rule_set_cannot_read_an_undeclared_question_or_set_p6() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        RuleSet("x-1", {"fever": Question("yes_no")}, (Rule("r", "P3", Yes("cough")),), "P8")
    with pytest.raises(ValueError, match="assessment sets"):
        RuleSet("x-1", {"fever": Question("yes_no")}, (Rule("r", "P6", Yes("fever")),), "P8")
    with pytest.raises(ValueError, match="assessment sets"):
        RuleSet("x-1", {"fever": Question("yes_no")}, (), "P7")
