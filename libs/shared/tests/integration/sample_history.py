"""The sample migration history (`sample_migrations/`: a service's first migration), and
copies of it with a later revision on top."""

from __future__ import annotations

import shutil
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "sample_migrations"


def sample_history_with(tmp_path: Path, name: str, revision: str) -> Path:
    """The sample history copied under `tmp_path`, with `revision` (a migration module's
    text) added on top as `versions/<name>`."""
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / name).write_text(revision, encoding="utf-8")
    return location
