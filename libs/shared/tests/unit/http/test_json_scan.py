"""The byte scans that keep control characters and deep nesting out of JSON bodies."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from careflow.shared.http.edges import deeper_than, has_forbidden_characters


@pytest.mark.parametrize(
    "text",
    [
        "nul \x00 inside",
        "backspace \b",
        "form feed \f",
        "escape \x1b[31m",
        "unit separator \x1f",
        "delete \x7f",
        "next line \x85",
        "lone high \ud83d surrogate",
        "lone low \ude00 surrogate",
        "backslash then nul \\\x00",
    ],
)
def test_a_control_character_is_found_however_json_escapes_it(text: str) -> None:
    for ensure_ascii in (True, False):
        body = json.dumps({"note": text}, ensure_ascii=ensure_ascii).encode(
            "utf-8", "surrogatepass"
        )
        assert has_forbidden_characters(body), body


@pytest.mark.parametrize(
    "text",
    [
        "lines\nand\ttabs\r\n",
        "a path C:\\bin\\formats",
        "an escaped backslash and u0000: \\u0000",
        "two backslashes then b: \\\\b",
        "accents é and emoji 😀",
        "",
    ],
)
def test_ordinary_text_passes_however_json_escapes_it(text: str) -> None:
    for ensure_ascii in (True, False):
        body = json.dumps({"note": text}, ensure_ascii=ensure_ascii).encode()
        assert not has_forbidden_characters(body), body


def test_surrogates_either_side_of_an_escaped_backslash_are_both_alone() -> None:
    assert has_forbidden_characters(rb'{"note": "\ud83d\\\ude00"}')
    assert not has_forbidden_characters(rb'{"note": "\ud83d\ude00"}')


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _document(rng: random.Random, levels: int) -> Any:
    if levels == 0 or rng.random() < 0.2:
        return rng.choice([1, "[[{", "}]", None])
    if rng.random() < 0.5:
        return [_document(rng, levels - 1) for _ in range(rng.randint(0, 2))]
    return {f"k{i}": _document(rng, levels - 1) for i in range(rng.randint(0, 2))}


def test_the_depth_scan_agrees_with_a_parser_on_random_documents() -> None:
    rng = random.Random(10)
    for _ in range(800):
        document = _document(rng, rng.randint(1, 40))
        body = json.dumps(document).encode()
        for limit in (4, 8, 32):
            assert deeper_than(body, limit) == (_depth(document) > limit), body


def test_brackets_inside_strings_are_no_nesting() -> None:
    assert not deeper_than(json.dumps({"note": "[" * 100 + "{" * 100}).encode(), 4)


@pytest.mark.parametrize(
    "body",
    [b"[" * 40 + b"]" * 40, b'{"a":' * 40 + b"1" + b"}" * 40, b"[[]," * 40 + b"]" * 40],
)
def test_nesting_past_the_limit_is_found(body: bytes) -> None:
    assert deeper_than(body, 32)
    assert not deeper_than(body, 64)
