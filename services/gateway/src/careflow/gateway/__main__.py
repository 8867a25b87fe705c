"""`python -m careflow.gateway [serve|migrate]`."""

from __future__ import annotations

import sys

from careflow.gateway.bootstrap import MIGRATIONS, NAME
from careflow.gateway.entrypoints.api.app import create_app
from careflow.gateway.settings import Settings
from careflow.shared.service.main import run

if __name__ == "__main__":
    sys.exit(run(NAME, Settings, create_app, MIGRATIONS))  # type: ignore[arg-type]
