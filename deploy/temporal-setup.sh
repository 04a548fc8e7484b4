#!/bin/sh
# One-shot: makes sure namespace $TEMPORAL_NAMESPACE exists and holds fleetwave's custom
# search attributes. Safe to run on every `up`: what already exists is left alone.
# The temporal CLI reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE from the environment.
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"
# name:type, as the workflows upsert them.
attrs="FleetOperationName:Keyword FleetAction:Keyword FleetTargetVersion:Keyword
FleetState:Keyword FleetOperationId:Keyword FleetWave:Int"

# The compose healthcheck only proves the port is open; wait until the frontend serves.
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "temporal-setup: ${TEMPORAL_ADDRESS} is not serving" >&2; exit 1; }
  sleep 2
done

# The plain server image (unlike the dev server) creates no namespace by itself.
if ! temporal operator namespace describe -n "$ns" >/dev/null 2>&1; then
  temporal operator namespace create -n "$ns" --retention "${TEMPORAL_NAMESPACE_RETENTION:-168h}" \
    || temporal operator namespace describe -n "$ns" >/dev/null  # lost a race: still fine
fi

listed() {
  temporal operator search-attribute list -n "$ns" -o json 2>/dev/null | grep -q "\"$1\""
}

for pair in $attrs; do
  name="${pair%%:*}"
  type="${pair#*:}"
  tries=0
  # A new namespace takes a few seconds to reach the frontend's cache, hence the retries.
  until out=$(temporal operator search-attribute create -n "$ns" --name "$name" --type "$type" 2>&1); do
    case "$out" in
      *"different type"*) echo "temporal-setup: $out" >&2; exit 1 ;;
    esac
    # Older servers answer "already exists" with an error; the attribute is there, so done.
    if listed "$name"; then break; fi
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { echo "temporal-setup: $out" >&2; exit 1; }
    sleep 2
  done
  echo "temporal-setup: $name ($type) registered in $ns"
done

# Return only once the frontend knows every attribute, so the api and worker, started right
# after this, never meet "search attribute not defined".
for pair in $attrs; do
  name="${pair%%:*}"
  tries=0
  until listed "$name"; do
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { echo "temporal-setup: $name not visible in $ns" >&2; exit 1; }
    sleep 2
  done
done

echo "temporal-setup: done"
