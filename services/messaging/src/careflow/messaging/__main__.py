"""`python -m careflow.messaging [serve|migrate]`."""

from __future__ import annotations

import sys

from careflow.messaging.bootstrap import MIGRATIONS, NAME
from careflow.messaging.entrypoints.api.app import create_app
from careflow.messaging.settings import Settings
from careflow.shared.service.main import run

if __name__ == "__main__":
    sys.exit(run(NAME, Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
