"""`python -m careflow.workqueue [serve|migrate]`."""

from __future__ import annotations

import sys

from careflow.shared.service.main import run
from careflow.workqueue.bootstrap import MIGRATIONS, NAME
from careflow.workqueue.entrypoints.api.app import create_app
from careflow.workqueue.settings import Settings

if __name__ == "__main__":
    sys.exit(run(NAME, Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
