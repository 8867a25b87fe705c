"""Async SQLAlchemy engine and session factory built from settings.

Every engine hides bound parameters: SQLAlchemy otherwise appends
`[parameters: ...]` to each database error, and those parameters are what
residents typed (health text, addresses), which would reach error logs.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create

from careflow.shared.settings import DatabaseSettings


def create_engine(settings: DatabaseSettings, *, application_name: str = "careflow") -> AsyncEngine:
    url = settings.url.get_secret_value()
    if not url:
        raise ValueError("no database URL configured (<PREFIX>DATABASE__URL or DATABASE_URL)")
    return _create(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=settings.pre_ping,
        echo=settings.echo,
        hide_parameters=True,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def asyncpg_dsn(url: URL | str) -> str:
    """A plain libpq DSN for raw asyncpg connections (LISTEN needs one)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
