#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two databases on PostgreSQL and migrates them to the
# schema the server image expects, with the schema embedded in the same release's temporal-sql-tool. Every
# step is idempotent (an existing database is kept, applied versions are skipped), so it runs on every `up`.
# Connection settings come from SQL_HOST, SQL_PORT, SQL_USER and SQL_PASSWORD.
set -eu

for db in temporal visibility; do
  name=$([ "$db" = temporal ] && echo "${DBNAME:-temporal}" || echo "${VISIBILITY_DBNAME:-temporal_visibility}")
  temporal-sql-tool --plugin postgres12 --db "$name" create-database
  temporal-sql-tool --plugin postgres12 --db "$name" setup-schema --version 0.0
  temporal-sql-tool --plugin postgres12 --db "$name" update-schema --schema-name "postgresql/v12/$db"
done
echo "Temporal schema ready in ${DBNAME:-temporal} and ${VISIBILITY_DBNAME:-temporal_visibility}"
