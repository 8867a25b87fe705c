"""`make chaos` in its short form: the suite under load while each service is killed with
SIGKILL, the broker restarted and PostgreSQL restarted; fails on a lost or doubled effect
beyond the targets (careflow.local.chaos_tally)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_nothing_accepted_is_lost_and_nothing_doubled_beyond_the_targets(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, "-m", "careflow.local.chaos", "--short", "--var", str(tmp_path / "var")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-4000:]}"
    assert "overall: met" in run.stdout
