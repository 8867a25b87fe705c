"""`careflow-local run` (what `make run` starts) and the one-shot topics job."""

from __future__ import annotations

import asyncio
import os
import re
import smtplib
import subprocess
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from careflow.contracts.registry import TOPICS
from careflow.local.ports import port_is_free
from careflow.shared.auth.verify import TokenVerifier
from careflow.shared.settings import AuthSettings

from .local_run import LocalRun

WANTED = {name for spec in TOPICS for name in (spec.name, spec.dlq)}


async def _topics(bootstrap_servers: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def _send_mail(port: int, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "noreply@careflow.local"
    message["To"] = "resident@example.org"
    message["Subject"] = subject
    message.set_content("Your case has an answer.")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


async def test_run_starts_everything_and_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    run = LocalRun(tmp_path / "var", "--services-dir", str(tmp_path / "services"))
    try:
        table = await run.ready()
        assert "none yet under" in table  # zero services is a normal start
        assert await _topics(f"127.0.0.1:{run.kafka_port}") >= WANTED

        subject = f"test-{uuid.uuid4().hex}"
        await asyncio.to_thread(_send_mail, run.smtp_port, subject)
        mail = tmp_path / "var" / "mail"
        for _ in range(50):
            if any(subject in p.read_text() for p in mail.glob("*.eml")):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no .eml with {subject} in {mail}")

        token = re.search(r"export TOKEN=(\S+)", table)
        assert token is not None
        # As the local services verify it: from the issuer's discovery document and
        # JWKS, allowing the 12-hour development tokens.
        local_auth = AuthSettings(
            issuer=run.issuer_url, issuer_url=run.issuer_url, max_lifetime_seconds=12 * 3600
        )
        verifier = TokenVerifier(local_auth)
        assert (await verifier.authenticate(token.group(1))).actor == "professional"
        assert f"{run.issuer_url}/token" in table
        assert run.pid_of("PostgreSQL"), table
        assert run.pid_of("Tansu (Kafka API)"), table
        assert run.pid_of("OIDC issuer"), table
    finally:
        code = run.stop()
    assert code == 0, run.output
    assert run.leaked == []
    for port in (run.pg_port, run.kafka_port, run.smtp_port, run.issuer_port):
        assert port_is_free("127.0.0.1", port), f"{port} still bound"


async def test_database_contents_survive_a_restart(tmp_path: Path) -> None:
    var = tmp_path / "var"
    value = uuid.uuid4().hex
    first = LocalRun(var, "--no-services")
    try:
        await first.ready()
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{first.pg_port}/postgres")
        try:
            await conn.execute("CREATE TABLE kept (value text)")
            await conn.execute("INSERT INTO kept VALUES ($1)", value)
        finally:
            await conn.close()
    finally:
        assert first.stop() == 0, first.output
        assert first.leaked == []

    second = LocalRun(var, "--no-services")
    try:
        await second.ready()
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{second.pg_port}/postgres")
        try:
            assert await conn.fetchval("SELECT value FROM kept") == value
        finally:
            await conn.close()
    finally:
        assert second.stop() == 0, second.output


def _topics_cli(bootstrap_servers: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers}
    return subprocess.run(
        [sys.executable, "-m", "careflow.shared.messaging.topics_cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_topics_job_creates_every_topic_and_dlq_and_can_run_again(kafka) -> None:  # type: ignore[no-untyped-def]
    before = await _topics(kafka.bootstrap_servers)

    first = _topics_cli(kafka.bootstrap_servers)
    assert first.returncode == 0, first.stderr
    created = set(re.findall(r"^created (\S+)$", first.stdout, re.MULTILINE))
    assert created == WANTED - before
    assert await _topics(kafka.bootstrap_servers) >= WANTED

    second = _topics_cli(kafka.bootstrap_servers)
    assert second.returncode == 0, second.stderr
    assert not re.search(r"^created ", second.stdout, re.MULTILINE)
    assert f"{len(WANTED)} topics on {kafka.bootstrap_servers}: 0 created" in second.stdout
