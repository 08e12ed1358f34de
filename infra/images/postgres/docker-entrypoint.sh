#!/bin/sh
# The part of the official postgres image's entrypoint that infra/k8s/postgres relies on. On the
# first start (no PG_VERSION in PGDATA) it creates the cluster: POSTGRES_USER (default postgres)
# as superuser with POSTGRES_PASSWORD (required), the database POSTGRES_DB (default the user's
# name), password (scram-sha-256) logins from any address, trust on the local socket. Then it
# runs postgres with the arguments ("-c name=value" alone means postgres with those).
set -eu
case "${1:-}" in -*) set -- postgres "$@" ;; esac

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "docker-entrypoint: the database is not initialised and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --pgdata="$PGDATA" >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [ "$database" != postgres ]; then
    # Single-user mode: no server listens before the cluster is ready.
    printf 'CREATE DATABASE "%s"\n' "$(printf '%s' "$database" | sed 's/"/""/g')" |
      postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "docker-entrypoint: created the cluster in $PGDATA (user $user, database $database)"
fi
exec "$@"
