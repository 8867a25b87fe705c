"""Topic registry: every topic, its partitions, key, event types and retention.

Services never hard-code a topic string; they look topics up here, and the
platform creates every registered topic (and its dead-letter twin) at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from careflow.contracts.base import ContractEvent

DLQ_SUFFIX = ".dlq"
DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic as declared in the contracts."""

    name: str
    description: str
    key: str
    events: tuple[type[ContractEvent], ...]
    owner: str
    partitions: int = 6
    retention_ms: int = 7 * DAY_MS
    dlq_retention_ms: int = 30 * DAY_MS
    config: dict[str, str] = field(default_factory=dict)
    #: Services (consumer groups) allowed to read the topic; None = any CareFlow service.
    #: Set for topics carrying contact details; enforced by the broker's ACLs.
    readers: tuple[str, ...] | None = None
    #: Services besides the owner that publish to the topic: a request topic belongs to
    #: the service that acts on it and is written by the services that ask. Enforced
    #: by the broker's ACLs too (deploy/k8s/generate_users.py): nobody else may write.
    writers: tuple[str, ...] = ()

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    def event_class(self, event_type: str) -> type[ContractEvent] | None:
        for event in self.events:
            if event.event_type == event_type:
                return event
        return None

    def topic_configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), **self.config}


class TopicRegistry:
    """The set of declared topics; lookups by name and by event type."""

    def __init__(self, topics: Iterable[TopicSpec] = ()) -> None:
        self._by_name: dict[str, TopicSpec] = {}
        self._by_type: dict[str, TopicSpec] = {}
        for topic in topics:
            self.register(topic)

    def register(self, topic: TopicSpec) -> TopicSpec:
        if topic.name in self._by_name:
            raise ValueError(f"topic {topic.name} declared twice")
        for event in topic.events:
            if event.event_type in self._by_type:
                raise ValueError(f"event type {event.event_type} declared on two topics")
        self._by_name[topic.name] = topic
        for event in topic.events:
            self._by_type[event.event_type] = topic
        return topic

    def __iter__(self) -> Iterator[TopicSpec]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> TopicSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown topic {name}") from None

    def for_event(self, event: type[ContractEvent] | ContractEvent) -> TopicSpec:
        try:
            return self._by_type[event.event_type]
        except KeyError:
            raise KeyError(f"event type {event.event_type} is on no topic") from None

    def event_types(self) -> Iterator[type[ContractEvent]]:
        for topic in self:
            yield from topic.events
