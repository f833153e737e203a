#!/bin/sh
# Runs once, when the postgres image initialises an empty data directory (/docker-entrypoint-initdb.d): the
# zero-touch ledger gets a database and a login of its own beside Temporal's, so the two never share tables
# or credentials. The password travels as a psql variable, quoted by psql (:'var'), never spliced into SQL.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v db="${ZT_DB_NAME:-zero_touch}" -v role="${ZT_DB_USER:-zero_touch}" -v password="${ZT_DB_PASSWORD:?ZT_DB_PASSWORD is required}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
SQL
