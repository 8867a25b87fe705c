from careflow.shared.db.migrate import run_env
from careflow.workqueue.adapters.tables import metadata

run_env(metadata)
