#!/bin/bash
# docker-compose.yml: runs once, when the `db` (primary) volume is created
# (mounted into /docker-entrypoint-initdb.d). A replication role for the
# standby's pg_basebackup and WAL stream; synchronous_standby_names is set
# later by the `db-sync` service, once a standby streams (set now, every
# commit would wait for a standby that does not exist yet).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD:-replicator}';
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
