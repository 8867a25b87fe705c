"""`make demo` against the suite `make run` starts (intake and workqueue as processes)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from careflow.local.ports import listen_port

from .local_run import LocalRun

REPO = Path(__file__).resolve().parents[4]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _base_port() -> int:
    """A base port whose intake (+1) and workqueue (+2) slots are free too."""
    return listen_port(span=3)


def _demo(issuer_url: str, base: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "careflow.local.demo",
            "--issuer",
            issuer_url,
            "--intake",
            f"http://127.0.0.1:{base + 1}",
            "--workqueue",
            f"http://127.0.0.1:{base + 2}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_says_the_suite_is_not_running(tmp_path: Path) -> None:
    result = _demo(f"http://127.0.0.1:{listen_port()}", _base_port())
    assert result.returncode == 2, result.stdout + result.stderr
    assert "intake does not answer on http://127.0.0.1:" in result.stderr
    assert "make run" in result.stderr
    assert result.stdout == ""


async def test_the_demo_runs_step_by_step_against_the_running_suite(tmp_path: Path) -> None:
    # Only the two services the demo talks to (make run starts whatever exists).
    services = tmp_path / "services"
    services.mkdir()
    for name in ("intake", "workqueue"):
        (services / name).symlink_to(REPO / "services" / name, target_is_directory=True)
    base = _base_port()
    var = tmp_path / "var"
    # A consumer group's members join one by one on Tansu: give the services time.
    run = LocalRun(
        var, "--services-dir", str(services), "--http-base-port", str(base), "--timeout", "300"
    )
    try:
        table = await run.ready(timeout=420)
        assert "intake [healthy]" in table, table
        assert "workqueue [healthy]" in table, table

        # Its tokens come from the issuer's token endpoint, as a real client's would.
        result = await asyncio.to_thread(_demo, run.issuer_url, base)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        steps = [line for line in lines if re.match(r"^\s*\d+\. ", line)]
        assert [int(line.split(".")[0]) for line in steps] == list(range(1, len(steps) + 1))
        text = "\n".join(steps)
        for expected in (
            "resident submitted a symptom assessment (urgency P3)",
            "is in group queue 'nurses'",
            "urgency P3, free",
            "professional took case",
            "professional added a task",
            "professional set a goal",
            "professional proposed closing",
            "resident sees the closing proposal",
            "resident closed case",
            "is gone from the queue",
        ):
            assert expected in text, result.stdout
        assert lines[-1].startswith(f"demo finished: {len(steps)} steps")
        # Shortened ids only, and nothing the resident typed.
        assert not UUID.search(result.stdout)
        assert "+358" not in result.stdout
        assert "hydration" not in result.stdout
    finally:
        code = run.stop()
    assert code == 0, run.output
