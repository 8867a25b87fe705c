# Every module that defines tables on the one metadata is imported, so the grants
# (append-only audit rows) see them all.
from careflow.messaging.adapters import chat_tables, message_tables  # noqa: F401
from careflow.messaging.adapters.tables import metadata
from careflow.shared.db.migrate import run_env

run_env(metadata)
