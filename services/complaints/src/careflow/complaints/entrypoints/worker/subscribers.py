"""Kafka consumers of a complaints process: none yet.

Complaints reads no topic: cases come in over HTTP, the e-services directory is
asked over HTTP, and the handover to clinics' own systems is a durable queue in
complaints' own database written in the submission's transaction (the same
guarantee as an outbox). What it publishes (`complaints.cases.v1`, answers'
`notification.requests.v1`) goes through the outbox.
"""

from __future__ import annotations

from careflow.complaints.bootstrap import Container
from careflow.shared.service.runtime import ConsumerFactory


def consumers(_container: Container) -> ConsumerFactory | None:
    return None
