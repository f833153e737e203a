#!/bin/sh
# One-shot (temporalio/admin-tools): the namespace zero-touch uses and the search attributes of its contract
# (ZT_SEARCH_ATTRIBUTES, `Name=Type` pairs, kept equal to signals/search-attributes.ts by
# test/unit/compose-lint.test.ts). Idempotent: an existing namespace is kept and an attribute already registered
# with the same type is skipped; one registered with another type fails the run, and everything waiting on it.
set -eu
address=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}
namespace=${TEMPORAL_NAMESPACE:-default}

# Retries a command every 2 s for up to 3 minutes: the server takes a while to serve, and a namespace just
# created is unknown to the frontend until its namespace cache refreshes (about 10 s).
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 90 ]; then
      echo "gave up after 3 minutes: $*" >&2
      return 1
    fi
    sleep 2
  done
}

retry temporal operator cluster health --address "$address" >/dev/null 2>&1

temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1 ||
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "${TEMPORAL_RETENTION:-30d}"

set --
for pair in ${ZT_SEARCH_ATTRIBUTES:?ZT_SEARCH_ATTRIBUTES is required}; do
  set -- "$@" --name "${pair%%=*}" --type "${pair#*=}"
done
retry temporal operator search-attribute create --address "$address" --namespace "$namespace" "$@"
temporal operator search-attribute list --address "$address" --namespace "$namespace"
