"""Base class every contract event derives from."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class ContractEvent(BaseModel):
    """An event body published on a topic.

    Unknown fields are ignored, never rejected: a producer on a newer minor
    version may add optional fields and older consumers must keep working.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    #: CloudEvents `type`: careflow.<aggregate>.<past-tense>.v<major>
    event_type: ClassVar[str]
    #: name of the field holding the aggregate id; it becomes the Kafka key
    #: and the CloudEvents `subject`.
    key_field: ClassVar[str]

    def key(self) -> str:
        return str(getattr(self, self.key_field))
