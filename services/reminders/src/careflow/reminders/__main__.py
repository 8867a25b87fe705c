"""`python -m careflow.reminders [serve|migrate]`."""

from __future__ import annotations

import sys

from careflow.reminders.bootstrap import MIGRATIONS, NAME
from careflow.reminders.entrypoints.api.app import create_app
from careflow.reminders.settings import Settings
from careflow.shared.service.main import run

if __name__ == "__main__":
    sys.exit(run(NAME, Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
