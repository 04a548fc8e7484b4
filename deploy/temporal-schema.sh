#!/bin/sh
# One-shot: creates Temporal's two databases and brings their schemas up to this admin-tools
# version. Safe to run on every `up`: create skips existing databases, setup-schema keeps a
# newer recorded version, update-schema applies only the versions not yet applied.
# Connection settings come from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

schema_dir=/etc/temporal/schema/postgresql/v12

for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  echo "temporal-schema: $db"
  temporal-sql-tool --db "$db" create
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$schema_dir/$schema/versioned"
done

echo "temporal-schema: done"
