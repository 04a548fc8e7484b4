#!/bin/sh
# Creates Temporal's two databases and brings their schemas up to the SQL tool's version. Run by
# the `temporal-schema` service of docker-compose.yml and by `npm run temporal:server`
# (scripts/lib/temporal-server.ts). Safe to run on every start: create skips an existing
# database, setup-schema keeps a newer recorded version, update-schema applies only the versions
# not yet applied.
# Connection: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by the SQL tool itself).
# Databases: DBNAME (default temporal), VISIBILITY_DBNAME (default temporal_visibility), the same
# variables deploy/temporal/config/fleetwave.yaml reads. TEMPORAL_SQL_TOOL: the tool's path.
set -eu

tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"

# The schemas ship inside the tool (--schema-name), so it needs no schema directory on disk.
for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  echo "temporal-schema: $db"
  "$tool" --db "$db" create
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema --schema-name "postgresql/v12/$schema"
done

echo "temporal-schema: done"
