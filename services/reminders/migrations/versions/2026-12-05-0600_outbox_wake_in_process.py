"""outbox without its NOTIFY trigger: the relay wakes on its own process's commits"""

from careflow.shared.outbox.wake_migration import downgrade, upgrade

revision = "0003"
down_revision = "0002"

__all__ = ["downgrade", "upgrade"]
