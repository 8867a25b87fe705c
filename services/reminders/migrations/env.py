from careflow.reminders.adapters.tables import metadata
from careflow.shared.db.migrate import run_env

run_env(metadata)
