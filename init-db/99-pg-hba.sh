#!/bin/sh
# Run by the postgres image's entrypoint at the first start (compose): each service
# role may connect to the asky database only — anywhere else, refused — whatever
# CONNECT privileges other databases grant to PUBLIC. (Managed Postgres: the same
# two rules in its host-based access settings.)
set -e
hba="$PGDATA/pg_hba.conf"
rules="host ${POSTGRES_DB:-asky} asky_auth,asky_pyxis,asky_request all scram-sha-256
host all asky_auth,asky_pyxis,asky_request all reject
local all asky_auth,asky_pyxis,asky_request reject"
{ printf '%s\n' "$rules"; cat "$hba"; } > "$hba.new" && mv "$hba.new" "$hba"
