#!/bin/bash
# docker-compose.yml `db-standby`: on an empty volume, clones the primary
# with pg_basebackup -R (standby.signal + primary_conninfo), then runs
# PostgreSQL as a hot standby. After a promotion (`pg_ctl promote`) it is
# the primary; the old primary's volume must then be rebuilt as a standby
# (pg_rewind or a fresh clone — scripts/ha.sh `rebuild` does both).
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -q -h "${PRIMARY_HOST:-db}" -U replicator; do sleep 1; done
  mkdir -p "$PGDATA"
  chown postgres "$PGDATA"
  chmod 700 "$PGDATA"
  PGPASSWORD="${REPLICATION_PASSWORD:-replicator}" gosu postgres \
    pg_basebackup -h "${PRIMARY_HOST:-db}" -U replicator -D "$PGDATA" -R -X stream -c fast
fi
# Once promoted, its own commits wait for a standby too (as in scripts/ha.sh).
exec gosu postgres postgres -c hot_standby=on -c "synchronous_standby_names=*"
