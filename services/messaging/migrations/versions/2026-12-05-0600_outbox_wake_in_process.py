"""outbox without its NOTIFY trigger: the relay wakes on its own process's commits"""

from careflow.shared.outbox.wake_migration import downgrade, upgrade

revision = "msg_0400"
down_revision = "msg_0300"

__all__ = ["downgrade", "upgrade"]
