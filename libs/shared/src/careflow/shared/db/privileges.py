"""What a service's own database role may do, granted by the owner role after migrating.

A service connects as a role that owns nothing: it gets SELECT, INSERT, UPDATE and
DELETE on every table of the schema, except the tables its metadata marks
append-only (audit trails), which get SELECT and INSERT only. An audit log the
service itself could rewrite would prove nothing, and an owner bypasses grants,
so migrations run as a separate owner role. Every statement is a GRANT or REVOKE
of a fixed set, so running it again leaves the privileges as they were.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, MetaData, text

APPEND_ONLY = "append_only"

# Alembic's bookkeeping: the service only reads it, to wait at start until the
# migration Job has brought the schema to what its code needs (schema_wait.py).
_READ_ONLY = frozenset({"alembic_version"})
# Every table privilege but reading and adding rows (MAINTAIN from PostgreSQL 17).
_CHANGES = "UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
_CHANGES_17 = _CHANGES + ", MAINTAIN"


def append_only() -> dict[str, Any]:
    """`info=` of a table whose rows the service may add and read, never change."""
    return {APPEND_ONLY: True}


def append_only_tables(metadata: MetaData) -> set[str]:
    return {table.name for table in metadata.tables.values() if table.info.get(APPEND_ONLY)}


class UnsafeServiceRole(RuntimeError):
    """The service role would get round its grants (superuser, or the owner's member)."""


def grant_service_role(bind: Connection, role: str, append_only: Collection[str]) -> None:
    """Run as the owner of the schema's tables, in the caller's transaction."""
    _refuse_unsafe(bind, role)
    quoted = _quote(bind, role)
    schema = bind.execute(text("SELECT current_schema()")).scalar_one()
    changes = _CHANGES_17 if (bind.dialect.server_version_info or ()) >= (17,) else _CHANGES
    bind.execute(text(f"GRANT USAGE ON SCHEMA {_quote(bind, schema)} TO {quoted}"))
    tables = (
        bind.execute(
            text(
                "SELECT relname FROM pg_class WHERE relnamespace = CAST(:schema AS regnamespace)"
                " AND relkind IN ('r', 'p') ORDER BY relname"
            ),
            {"schema": schema},
        )
        .scalars()
        .all()
    )
    for table in tables:
        name = f"{_quote(bind, schema)}.{_quote(bind, table)}"
        if table in _READ_ONLY:
            for grantee in (quoted, "PUBLIC"):
                bind.execute(text(f"REVOKE INSERT, {changes} ON {name} FROM {grantee}"))
            bind.execute(text(f"GRANT SELECT ON {name} TO {quoted}"))
        elif table in append_only:
            # REVOKE too: a table declared append-only later, or a migration that
            # granted more, must lose the right to change rows; PUBLIC included.
            for grantee in (quoted, "PUBLIC"):
                bind.execute(text(f"REVOKE {changes} ON {name} FROM {grantee}"))
            bind.execute(text(f"GRANT SELECT, INSERT ON {name} TO {quoted}"))
        else:
            bind.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {quoted}"))
    bind.execute(
        text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_quote(bind, schema)} TO {quoted}")
    )


def _refuse_unsafe(bind: Connection, role: str) -> None:
    row = bind.execute(
        text(
            "SELECT r.rolsuper, pg_has_role(r.oid, current_user, 'USAGE') AS owner_rights"
            " FROM pg_roles r WHERE r.rolname = :role"
        ),
        {"role": role},
    ).one_or_none()
    if row is None:
        raise UnsafeServiceRole(f"service role {role!r} does not exist")
    if row.rolsuper or row.owner_rights:
        raise UnsafeServiceRole(
            f"service role {role!r} is a superuser or has the owner's rights: "
            "grants would not bind it, so append-only tables would not be"
        )


def _quote(bind: Connection, identifier: str) -> str:
    return bind.dialect.identifier_preparer.quote_identifier(identifier)
