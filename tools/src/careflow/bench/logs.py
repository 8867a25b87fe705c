"""Benchmark logging: warnings only, and stdout kept for the result table."""

from __future__ import annotations

import logging
import warnings

from careflow.shared.settings import TelemetrySettings
from careflow.shared.telemetry.setup import configure_logging, configure_telemetry


def quiet_logs() -> None:
    """Telemetry as in a service (spans recorded), logs at WARNING, FastStream's access log off."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    telemetry = TelemetrySettings(log_json=False, log_level="WARNING")
    configure_telemetry(telemetry, "bench")
    configure_logging(telemetry, "bench")
    # FastStream's access logger prints INFO lines to stdout, where the table goes.
    logging.getLogger("faststream.access.kafka").addFilter(
        lambda record: record.levelno >= logging.WARNING
    )
