#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at $PGHOST:$PGPORT for user postgres, installing and
# starting Debian's package when none does. Tests create and drop their own databases.
SCRIPT_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PGHOST="${PGHOST:-127.0.0.1}"; PGPORT="${PGPORT:-5432}"

pg_answers() { psql "postgres://postgres@$PGHOST:$PGPORT/postgres" -Atqc 'select 1' >/dev/null 2>&1; }

if pg_answers; then log "PostgreSQL answering at $PGHOST:$PGPORT"; exit 0; fi
command -v pg_lsclusters >/dev/null 2>&1 || apt_install postgresql postgresql-client
if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then apt_install postgresql; fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
hba="/etc/postgresql/$version/main/pg_hba.conf"
# A test machine's server on loopback only: trust local connections, as CI machines here do.
if ! grep -q '# opcfleet-test' "$hba"; then
  log "allowing loopback connections without password in $hba (test machine only)"
  as_root sed -i '1i # opcfleet-test\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
fi
log "starting PostgreSQL $version"
as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
wait_for "PostgreSQL" 60 pg_answers
log "PostgreSQL answering at $PGHOST:$PGPORT"
