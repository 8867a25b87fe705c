"""The generated contract files: render them, write them, check checked-in copies.

A published schema is a promise to consumers: `generate` refuses to delete the
schema of an event type that disappeared from the registry, or to overwrite one
with a breaking change, unless told so explicitly; `check` reports both.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from careflow.contracts.asyncapi import ASYNCAPI_FILENAME, asyncapi_document, dump_yaml
from careflow.contracts.compatibility import BreakingChange, breaking_changes
from careflow.contracts.schemas import SCHEMA_FILE, dump_json, event_schemas, schema_filename
from careflow.contracts.topics import TopicRegistry

MAX_DIFF_LINES = 40


class ContractsError(Exception):
    """Generation refused: it would break or drop a published contract."""


@dataclass(frozen=True)
class Finding:
    """One way a contracts directory differs from what the models generate."""

    file: str
    problem: str  # "missing", "out of date", "removed", "breaking", "invalid"
    detail: str = ""

    def __str__(self) -> str:
        head = f"{self.file}: {self.problem}"
        return f"{head}\n{self.detail}" if self.detail else head


@dataclass
class GenerateResult:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def render(registry: TopicRegistry) -> dict[str, str]:
    """Every generated file's name and text."""
    files = {
        schema_filename(event_type): dump_json(schema)
        for event_type, schema in event_schemas(registry).items()
    }
    files[ASYNCAPI_FILENAME] = dump_yaml(asyncapi_document(registry))
    return dict(sorted(files.items()))


def published_schemas(directory: Path) -> list[str]:
    """Names of the event schema files present in `directory`."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file() and SCHEMA_FILE.match(p.name))


def _breaking(name: str, old_text: str, new_text: str) -> list[BreakingChange] | None:
    """Breaking changes of a schema file; None when the old text is not JSON."""
    try:
        old = json.loads(old_text)
    except json.JSONDecodeError:
        return None
    return breaking_changes(old, json.loads(new_text))


def check(directory: Path, registry: TopicRegistry) -> list[Finding]:
    """Differences between the files in `directory` and what `registry` generates."""
    expected = render(registry)
    findings: list[Finding] = []
    for name in published_schemas(directory):
        if name not in expected:
            findings.append(
                Finding(name, "removed", "published schema whose event type is no longer declared")
            )
    for name, text in expected.items():
        path = directory / name
        if not path.is_file():
            findings.append(Finding(name, "missing"))
            continue
        current = path.read_text(encoding="utf-8")
        if current == text:
            continue
        findings.append(Finding(name, "out of date", _diff(name, current, text)))
        if name == ASYNCAPI_FILENAME:
            continue
        changes = _breaking(name, current, text)
        if changes is None:
            findings.append(Finding(name, "invalid", "checked-in file is not valid JSON"))
        elif changes:
            findings.append(Finding(name, "breaking", "\n".join(f"  {c}" for c in changes)))
    return findings


def generate(
    directory: Path,
    registry: TopicRegistry,
    *,
    allow_removal: bool = False,
    allow_breaking: bool = False,
) -> GenerateResult:
    """Write every generated file into `directory`; refuse to drop or break a published schema.

    Nothing is written when generation is refused.
    """
    expected = render(registry)
    stale = [name for name in published_schemas(directory) if name not in expected]
    if stale and not allow_removal:
        raise ContractsError(
            "refusing to delete published schemas of event types no longer declared: "
            + ", ".join(stale)
            + ". Consumers may still read these events; keep the model (deprecate it) "
            "or pass --allow-removal if the version was never published."
        )
    broken: list[str] = []
    for name, text in expected.items():
        path = directory / name
        if name != ASYNCAPI_FILENAME and path.is_file():
            changes = _breaking(name, path.read_text(encoding="utf-8"), text) or []
            broken.extend(f"  {name}: {c}" for c in changes)
    if broken and not allow_breaking:
        raise ContractsError(
            "refusing to overwrite published schemas with breaking changes:\n"
            + "\n".join(broken)
            + "\nPublish a new .vN event type instead, or pass --allow-breaking if the "
            "version was never published."
        )

    result = GenerateResult()
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in expected.items():
        path = directory / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            result.unchanged.append(name)
            continue
        path.write_text(text, encoding="utf-8", newline="\n")
        result.written.append(name)
    for name in stale:
        (directory / name).unlink()
        result.removed.append(name)
    return result


def _diff(name: str, current: str, expected: str) -> str:
    lines = list(
        difflib.unified_diff(
            current.splitlines(),
            expected.splitlines(),
            fromfile=f"checked-in/{name}",
            tofile=f"generated/{name}",
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return "\n".join(lines)
