"""The test and benchmark servers leave nothing behind on the machine."""

from __future__ import annotations

import asyncpg
import pytest

from careflow.testing.servers import start_postgres


async def test_a_stopped_embedded_postgres_leaves_no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    postgres = start_postgres()
    assert postgres.embedded is not None
    home = postgres.embedded.data_dir.parent
    try:
        url = await postgres.create_database()
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        await conn.execute("CREATE TABLE kept (id int)")
        await conn.close()
        assert (postgres.embedded.data_dir / "PG_VERSION").exists()
    finally:
        postgres.stop()
    assert not home.exists()
