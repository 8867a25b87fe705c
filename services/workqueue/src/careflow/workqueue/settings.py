"""Settings of the work queue service (environment prefix WORKQUEUE_)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from careflow.shared.settings import GcSettings, ServiceSettings, service_config


class Settings(ServiceSettings):
    """WORKQUEUE_DATABASE__URL, WORKQUEUE_BROKER__BOOTSTRAP_SERVERS, ... (see shared settings)."""

    model_config = service_config("WORKQUEUE_")

    service_name: str = "workqueue"
    http_port: int = 8002
    #: Consumer group on intake.cases.v1 (= the consuming service, per style.md).
    consumer_group: str = "workqueue"
    #: WORKQUEUE_GC__THRESHOLD0 etc.: a consumed event's young objects get 10,000
    #: allocations, not 700, to die before promotion, as intake's and messaging's do
    #: (README, issue 15's eleventh round).
    gc: GcSettings = GcSettings(threshold0=10_000)
    #: The urgency-scale override as JSON (contracts.urgency.load_scale) for every
    #: organisation without its own; empty = CareFlow's default scale.
    urgency_scale: str = ""
    #: Organisation id -> a JSON file with that organisation's scale override, e.g.
    #: WORKQUEUE_URGENCY_SCALES='{"org-1": "/etc/careflow/urgency/org-1.json"}'.
    #: Read once at start-up; a file that does not load stops the start.
    urgency_scales: dict[str, Path] = Field(default_factory=dict)
    #: How often the overdue gauge is recounted: how stale it may be.
    overdue_every: timedelta = timedelta(seconds=30)
    #: How long a closed case stays readable in the closed queue, counted from its
    #: closing; then the purge deletes it (domain.md "Closing"). A year, so last
    #: year's cases can still be looked back on; the case itself stays in intake.
    closed_retention: timedelta = timedelta(days=365)
    #: Pause between purge passes: how long past its retention an item may still show.
    purge_every: timedelta = timedelta(minutes=10)
