"""base/kafka-topics.yaml is generated from careflow.contracts.registry.TOPICS."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from careflow.contracts.registry import TOPICS
from careflow.contracts.topics import DAY_MS, TopicRegistry, TopicSpec

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CHECKED_IN = K8S / "base" / "kafka-topics.yaml"
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")


def _topics(text: str) -> dict[str, dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    assert all(doc["kind"] == "KafkaTopic" for doc in docs)
    by_name = {doc["spec"]["topicName"]: doc for doc in docs}
    assert len(by_name) == len(docs), "a topic is declared twice"
    return by_name


def _spec(name: str, **overrides: Any) -> TopicSpec:
    return TopicSpec(
        name=name, description="test topic", key="id", events=(), owner="tests", **overrides
    )


def test_checked_in_file_is_what_the_generator_renders_now(generate_topics: ModuleType) -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == generate_topics.render(TOPICS), (
        "stale: run .venv/bin/python deploy/k8s/generate_topics.py"
    )


def test_one_kafka_topic_per_registry_topic_and_per_dlq() -> None:
    topics = _topics(CHECKED_IN.read_text(encoding="utf-8"))
    expected = {name for spec in TOPICS for name in (spec.name, spec.dlq)}
    assert set(topics) == expected
    assert len(topics) == 2 * len(list(TOPICS))


@pytest.mark.parametrize("spec", list(TOPICS), ids=lambda spec: spec.name)
def test_topic_and_dlq_carry_partitions_and_retention_from_the_registry(spec: TopicSpec) -> None:
    topics = _topics(CHECKED_IN.read_text(encoding="utf-8"))
    topic, dlq = topics[spec.name], topics[spec.dlq]
    assert topic["spec"]["partitions"] == spec.partitions
    assert int(topic["spec"]["config"]["retention.ms"]) == spec.retention_ms
    assert dlq["spec"]["partitions"] == spec.partitions
    assert int(dlq["spec"]["config"]["retention.ms"]) == spec.dlq_retention_ms
    assert dlq["spec"]["config"]["cleanup.policy"] == "delete"


def test_every_topic_belongs_to_the_strimzi_cluster() -> None:
    kafka = next(
        doc
        for doc in yaml.safe_load_all((K8S / "base" / "kafka.yaml").read_text())
        if doc["kind"] == "Kafka"
    )
    for topic in _topics(CHECKED_IN.read_text(encoding="utf-8")).values():
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert DNS_SUBDOMAIN.fullmatch(topic["metadata"]["name"])
        assert topic["spec"]["replicas"] >= 1


def test_generator_renders_names_kubernetes_accepts_and_keeps_extra_config(
    generate_topics: ModuleType,
) -> None:
    registry = TopicRegistry(
        [
            _spec(
                "Intake.Cases_v1",
                partitions=12,
                retention_ms=3 * DAY_MS,
                config={"max.message.bytes": "2097152"},
            ),
            _spec("workqueue.items.v1", partitions=3),
        ]
    )
    topics = _topics(generate_topics.render(registry))
    assert set(topics) == {
        "Intake.Cases_v1",
        "Intake.Cases_v1.dlq",
        "workqueue.items.v1",
        "workqueue.items.v1.dlq",
    }
    cases = topics["Intake.Cases_v1"]
    assert cases["metadata"]["name"] == "intake.cases-v1"
    assert cases["spec"]["partitions"] == 12
    assert cases["spec"]["config"] == {
        "retention.ms": str(3 * DAY_MS),
        "max.message.bytes": "2097152",
    }
    dlq = topics["Intake.Cases_v1.dlq"]
    assert dlq["metadata"]["name"] == "intake.cases-v1.dlq"
    assert dlq["spec"]["config"]["max.message.bytes"] == "2097152"
    assert dlq["spec"]["config"]["retention.ms"] == str(30 * DAY_MS)
    assert topics["workqueue.items.v1.dlq"]["spec"]["partitions"] == 3


def test_generator_refuses_topics_that_collide_as_resource_names(
    generate_topics: ModuleType,
) -> None:
    registry = TopicRegistry([_spec("intake.cases_v1"), _spec("intake.cases-v1")])
    with pytest.raises(ValueError, match="same KafkaTopic name"):
        generate_topics.render(registry)


def test_check_mode_fails_on_a_stale_file_and_passes_on_a_fresh_one(
    generate_topics: ModuleType, tmp_path: Path
) -> None:
    output = tmp_path / "kafka-topics.yaml"
    output.write_text("# stale\n", encoding="utf-8")
    assert generate_topics.main(["--check", "--output", str(output)]) == 1
    assert output.read_text(encoding="utf-8") == "# stale\n"
    assert generate_topics.main(["--output", str(output)]) == 0
    assert generate_topics.main(["--check", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == generate_topics.render(TOPICS)
