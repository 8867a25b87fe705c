"""Settings of the work queue service (environment prefix WORKQUEUE_)."""

from __future__ import annotations

from datetime import timedelta

from careflow.shared.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    """WORKQUEUE_DATABASE__URL, WORKQUEUE_BROKER__BOOTSTRAP_SERVERS, ... (see shared settings)."""

    model_config = service_config("WORKQUEUE_")

    service_name: str = "workqueue"
    http_port: int = 8002
    #: Consumer group on intake.cases.v1 (= the consuming service, per style.md).
    consumer_group: str = "workqueue"
    #: An organisation's urgency-scale override as JSON (contracts.urgency.load_scale);
    #: empty = CareFlow's default scale.
    urgency_scale: str = ""
    #: How long a closed case stays readable in the closed queue, counted from its
    #: closing; then the purge deletes it (domain.md "Closing"). A year, so last
    #: year's cases can still be looked back on; the case itself stays in intake.
    closed_retention: timedelta = timedelta(days=365)
    #: Pause between purge passes: how long past its retention an item may still show.
    purge_every: timedelta = timedelta(minutes=10)
