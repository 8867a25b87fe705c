"""base/kafka-users.yaml: a KafkaUser per service, its ACLs generated from the topic registry."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import yaml

from careflow.contracts.registry import TOPICS
from careflow.contracts.topics import TopicRegistry, TopicSpec

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CHECKED_IN = K8S / "base" / "kafka-users.yaml"
RESTRICTED = "intake.resident-contacts.v1"


@pytest.fixture(scope="module")
def generate_users(helpers: SimpleNamespace) -> ModuleType:
    return helpers.load_script(K8S / "generate_users.py")


def _users(text: str) -> dict[str, dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    assert all(doc["kind"] == "KafkaUser" for doc in docs)
    return {doc["metadata"]["name"]: doc for doc in docs}


def _allowed(user: dict[str, Any], kind: str, name: str) -> set[str]:
    """Operations the user's ACLs allow on one resource (literal names only are generated)."""
    operations: set[str] = set()
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if resource["type"] == kind and resource.get("name") == name:
            assert resource["patternType"] == "literal"
            operations |= set(acl["operations"])
    return operations


def _spec(name: str, owner: str, readers: tuple[str, ...] | None = None) -> TopicSpec:
    return TopicSpec(
        name=name, description="test", key="id", events=(), owner=owner, readers=readers
    )


def test_checked_in_file_is_what_the_generator_renders_now(
    generate_users: ModuleType, services: tuple[str, ...]
) -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == generate_users.render(TOPICS, services), (
        "stale: run .venv/bin/python deploy/k8s/generate_users.py"
    )


def test_one_scram_user_per_service_in_the_strimzi_cluster(services: tuple[str, ...]) -> None:
    users = _users(CHECKED_IN.read_text(encoding="utf-8"))
    assert set(users) == set(services)
    for user in users.values():
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "careflow"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"


def test_the_restricted_contacts_topic_is_readable_only_by_its_declared_readers(
    services: tuple[str, ...],
) -> None:
    users = _users(CHECKED_IN.read_text(encoding="utf-8"))
    spec = TOPICS.get(RESTRICTED)
    assert spec.readers == ("notification",)
    readers = {
        name for name, user in users.items() if "Read" in _allowed(user, "topic", RESTRICTED)
    }
    assert readers == {"notification"}
    writers = {
        name for name, user in users.items() if "Write" in _allowed(user, "topic", RESTRICTED)
    }
    assert writers == {spec.owner}


@pytest.mark.parametrize("spec", list(TOPICS), ids=lambda spec: spec.name)
def test_acls_follow_the_registry(spec: TopicSpec, services: tuple[str, ...]) -> None:
    users = _users(CHECKED_IN.read_text(encoding="utf-8"))
    expected_readers = set(services) if spec.readers is None else set(spec.readers)
    readers = {name for name, user in users.items() if "Read" in _allowed(user, "topic", spec.name)}
    writers = {
        name for name, user in users.items() if "Write" in _allowed(user, "topic", spec.name)
    }
    assert readers == expected_readers
    assert writers == ({spec.owner, *spec.writers} & set(services))
    # Whoever consumes a topic dead-letters into its twin, and nobody reads the twin.
    dlq_writers = {
        name for name, user in users.items() if "Write" in _allowed(user, "topic", spec.dlq)
    }
    dlq_readers = {
        name for name, user in users.items() if "Read" in _allowed(user, "topic", spec.dlq)
    }
    assert dlq_writers == expected_readers
    assert dlq_readers == set()


def test_each_user_reads_only_its_own_consumer_group() -> None:
    for name, user in _users(CHECKED_IN.read_text(encoding="utf-8")).items():
        groups = [
            acl["resource"]["name"]
            for acl in user["spec"]["authorization"]["acls"]
            if acl["resource"]["type"] == "group"
        ]
        assert groups == [name]
        assert _allowed(user, "group", name) == {"Read"}


def test_a_topic_without_readers_is_readable_by_every_service_and_with_readers_by_them_only(
    generate_users: ModuleType,
) -> None:
    registry = TopicRegistry(
        [_spec("a.open.v1", owner="a"), _spec("a.closed.v1", owner="a", readers=("b",))]
    )
    users = _users(generate_users.render(registry, ["a", "b", "c"]))
    assert {n for n, u in users.items() if "Read" in _allowed(u, "topic", "a.open.v1")} == {
        "a",
        "b",
        "c",
    }
    assert {n for n, u in users.items() if "Read" in _allowed(u, "topic", "a.closed.v1")} == {"b"}
    assert _allowed(users["c"], "topic", "a.closed.v1") == set()
    assert _allowed(users["c"], "topic", "a.closed.v1.dlq") == set()
    assert _allowed(users["b"], "topic", "a.closed.v1.dlq") == {"Write", "Describe"}


def test_declared_writers_may_publish_to_a_topic_they_do_not_own(
    generate_users: ModuleType,
) -> None:
    # A request topic: notification owns and reads it, the services that ask write it.
    registry = TopicRegistry(
        [
            TopicSpec(
                name="n.requests.v1",
                description="test",
                key="id",
                events=(),
                owner="n",
                readers=("n",),
                writers=("m", "future"),
            )
        ]
    )
    users = _users(generate_users.render(registry, ["m", "n", "o"]))
    assert {n for n, u in users.items() if "Write" in _allowed(u, "topic", "n.requests.v1")} == {
        "m",
        "n",
    }
    assert _allowed(users["m"], "topic", "n.requests.v1") == {"Write", "Describe"}
    assert _allowed(users["o"], "topic", "n.requests.v1") == set()


def test_a_declared_reader_that_is_no_service_is_refused(generate_users: ModuleType) -> None:
    registry = TopicRegistry([_spec("a.closed.v1", owner="a", readers=("ghost",))])
    with pytest.raises(ValueError, match="ghost"):
        generate_users.render(registry, ["a"])


def test_check_mode_fails_on_a_stale_file_and_passes_on_a_fresh_one(
    generate_users: ModuleType, tmp_path: Path
) -> None:
    output = tmp_path / "kafka-users.yaml"
    output.write_text("# stale\n", encoding="utf-8")
    assert generate_users.main(["--check", "--output", str(output)]) == 1
    assert generate_users.main(["--output", str(output)]) == 0
    assert generate_users.main(["--check", "--output", str(output)]) == 0
