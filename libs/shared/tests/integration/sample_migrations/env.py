from careflow.shared.db.metadata import new_metadata
from careflow.shared.db.migrate import run_env

run_env(new_metadata())
