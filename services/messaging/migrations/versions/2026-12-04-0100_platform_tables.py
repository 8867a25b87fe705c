"""platform tables: outbox, inbox, NOTIFY trigger"""

from careflow.shared.outbox.platform_migration import downgrade, upgrade

revision = "msg_0100"
down_revision = None

__all__ = ["downgrade", "upgrade"]
