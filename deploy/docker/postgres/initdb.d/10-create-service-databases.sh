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

# Two roles per service: <name>_owner owns the database and runs the migrations,
# <name> is what the service connects as. The owner grants the service role what
# it needs and no more, so audit tables stay append-only for the service (owners
# bypass grants). Both log in with POSTGRES_PASSWORD: this is the Compose setup
# (the image's entrypoint reads it from POSTGRES_PASSWORD_FILE, a Compose secret
# that `make compose-secrets` writes together with the URLs the services use).
for database in ${CAREFLOW_DATABASES}; do
  echo "creating database ${database} with roles ${database}_owner and ${database}"
  # :"name" makes psql quote the name as an identifier, :'value' as a literal.
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" \
    --set database="${database}" --set owner="${database}_owner" \
    --set password="${POSTGRES_PASSWORD}" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE ROLE :"database" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
SQL
done
