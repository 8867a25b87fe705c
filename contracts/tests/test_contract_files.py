"""The checked-in contracts/schemas files match the models; the CLI guards published ones."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field

from careflow.contracts.artifacts import ContractsError, check, generate, render
from careflow.contracts.cli import main
from careflow.contracts.compatibility import breaking_changes
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES, TOPICS
from careflow.contracts.schemas import SCHEMA_FILE, event_schemas, schema_filename
from careflow.contracts.topics import TopicRegistry

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
PROBE_FILE = schema_filename(ProbeEmitted.event_type)


class ProbeWithRegion(ProbeEmitted):
    """A synthetic probe was written to a service's outbox."""

    region: str | None = Field(default=None, description="Added without `make contracts`.")


class ProbeWithTextSequence(ProbeEmitted):
    """A synthetic probe was written to a service's outbox."""

    sequence: str  # type: ignore[assignment]  # an incompatible edit


def registry_with(event: type[ProbeEmitted]) -> TopicRegistry:
    """TOPICS with the probe topic's event replaced by `event`."""
    return TopicRegistry(
        [
            dataclasses.replace(PLATFORM_PROBES, events=(event,)) if t is PLATFORM_PROBES else t
            for t in TOPICS
        ]
    )


def registry_without_probes() -> TopicRegistry:
    return TopicRegistry([t for t in TOPICS if t is not PLATFORM_PROBES])


def test_checked_in_files_equal_what_the_models_generate() -> None:
    findings = check(SCHEMAS, TOPICS)
    assert findings == [], "run `make contracts`:\n" + "\n".join(map(str, findings))


def test_every_event_type_has_a_checked_in_schema() -> None:
    published = {p.name for p in SCHEMAS.iterdir() if SCHEMA_FILE.match(p.name)}
    assert published == {schema_filename(e.event_type) for e in TOPICS.event_types()}


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("careflow.*.json")), ids=lambda p: p.name)
def test_checked_in_schema_has_no_breaking_change(path: Path) -> None:
    old = json.loads(path.read_text(encoding="utf-8"))
    new = event_schemas(TOPICS).get(old["title"])
    assert new is not None, f"{path.name}: event type no longer declared"
    assert breaking_changes(old, new) == []


def test_check_reports_a_model_edited_without_regenerating(tmp_path: Path) -> None:
    generate(tmp_path, TOPICS)
    findings = check(tmp_path, registry_with(ProbeWithRegion))
    assert [(f.file, f.problem) for f in findings] == [
        ("asyncapi.yaml", "out of date"),
        (PROBE_FILE, "out of date"),
    ]
    assert '+    "region": {' in findings[1].detail


def test_check_command_exits_1_and_names_the_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(tmp_path, TOPICS)
    assert main(["check", str(tmp_path)], registry=registry_with(ProbeWithRegion)) == 1
    assert f"{PROBE_FILE}: out of date" in capsys.readouterr().err
    assert main(["check", str(tmp_path)]) == 0


def test_check_reports_a_breaking_edit(tmp_path: Path) -> None:
    generate(tmp_path, TOPICS)
    findings = check(tmp_path, registry_with(ProbeWithTextSequence))
    breaking = [f for f in findings if f.problem == "breaking"]
    assert [f.file for f in breaking] == [PROBE_FILE]
    assert "sequence: type changed from integer to string" in breaking[0].detail


def test_check_reports_missing_files(tmp_path: Path) -> None:
    findings = check(tmp_path / "absent", TOPICS)
    assert {(f.file, f.problem) for f in findings} == {(n, "missing") for n in render(TOPICS)}


def test_generate_refuses_a_breaking_edit_unless_allowed(tmp_path: Path) -> None:
    generate(tmp_path, TOPICS)
    before = (tmp_path / PROBE_FILE).read_text()
    with pytest.raises(ContractsError, match=r"sequence: type changed"):
        generate(tmp_path, registry_with(ProbeWithTextSequence))
    assert (tmp_path / PROBE_FILE).read_text() == before

    result = generate(tmp_path, registry_with(ProbeWithTextSequence), allow_breaking=True)
    assert PROBE_FILE in result.written
    assert check(tmp_path, registry_with(ProbeWithTextSequence)) == []


def test_generate_accepts_a_compatible_edit_and_is_idempotent(tmp_path: Path) -> None:
    generate(tmp_path, TOPICS)
    first = generate(tmp_path, registry_with(ProbeWithRegion))
    assert sorted(first.written) == ["asyncapi.yaml", PROBE_FILE]
    again = generate(tmp_path, registry_with(ProbeWithRegion))
    assert again.written == []
    assert {"asyncapi.yaml", PROBE_FILE} <= set(again.unchanged)
    assert sorted(again.unchanged) == sorted(render(registry_with(ProbeWithRegion)))


def test_generate_refuses_to_delete_a_published_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", str(tmp_path)]) == 0
    asyncapi_before = (tmp_path / "asyncapi.yaml").read_text()

    assert main(["generate", str(tmp_path)], registry=registry_without_probes()) == 1
    err = capsys.readouterr().err
    assert (
        f"refusing to delete published schemas of event types no longer declared: {PROBE_FILE}"
        in err
    )
    assert (tmp_path / PROBE_FILE).is_file()
    assert (tmp_path / "asyncapi.yaml").read_text() == asyncapi_before  # nothing written

    removed = [f for f in check(tmp_path, registry_without_probes()) if f.problem == "removed"]
    assert [f.file for f in removed] == [PROBE_FILE]


def test_generate_deletes_a_schema_with_allow_removal(tmp_path: Path) -> None:
    assert main(["generate", str(tmp_path)]) == 0
    (tmp_path / "README.md").write_text("not generated")
    assert main(["generate", str(tmp_path), "--allow-removal"], registry=TopicRegistry()) == 0
    assert not (tmp_path / PROBE_FILE).exists()
    assert (tmp_path / "README.md").is_file()  # only files the generator owns are removed


def test_generated_files_are_deterministic_and_end_with_a_newline() -> None:
    first, second = render(TOPICS), render(TOPICS)
    assert first == second
    assert all(text.endswith("\n") and not text.endswith("\n\n") for text in first.values())
    text = first[PROBE_FILE]
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_schema_records_id_title_topic_and_key() -> None:
    schema = event_schemas(TOPICS)[ProbeEmitted.event_type]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(ProbeEmitted.event_type)
    assert schema["title"] == ProbeEmitted.event_type
    assert schema["x-careflow-topic"] == "platform.probes.v1"
    assert schema["x-careflow-key"] == "probe_id"


def test_a_key_field_that_differs_from_the_topic_key_is_rejected() -> None:
    bad = TopicRegistry([dataclasses.replace(PLATFORM_PROBES, key="emitter")])
    with pytest.raises(ValueError, match="differs from the key"):
        event_schemas(bad)


def test_module_entry_point_checks_the_checked_in_files() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "careflow.contracts.cli", "check", str(SCHEMAS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "contracts up to date" in done.stdout
