"""outbox without its NOTIFY trigger: the relay wakes on its own process's commits"""

from careflow.shared.outbox.wake_migration import downgrade, upgrade

revision = "wq_0800"
down_revision = "wq_0700"

__all__ = ["downgrade", "upgrade"]
