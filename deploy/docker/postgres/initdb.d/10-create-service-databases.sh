#!/usr/bin/env bash
# One database per CareFlow service: each service owns its data (architecture.md).
# The postgres image's entrypoint runs this once, on an empty data directory.
# docker-compose.yml passes the names in CAREFLOW_DATABASES, one per service.
# No `set -u`: if the file loses its executable bit, the entrypoint sources it
# instead of running it.
set -eo pipefail

if [ -z "${CAREFLOW_DATABASES:-}" ]; then
  echo "CAREFLOW_DATABASES is empty: no service databases to create" >&2
  exit 1
fi

for database in ${CAREFLOW_DATABASES}; do
  echo "creating database ${database}"
  # :"name" makes psql quote the name as an identifier.
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" \
    --set database="${database}" <<'SQL'
CREATE DATABASE :"database";
SQL
done
