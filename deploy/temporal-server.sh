#!/bin/sh
# The `temporal` service of docker-compose.yml: the server image's own binary, started on
# deploy/temporal/config/fleetwave.yaml, the file `npm run temporal:server` starts it on too
# (instead of the image's built-in template).
set -eu

# Listening on every interface, the members of the cluster need an address to tell each other:
# the container's own.
if [ "${BIND_ON_IP:-127.0.0.1}" = "0.0.0.0" ] && [ -z "${TEMPORAL_BROADCAST_ADDRESS:-}" ]; then
  TEMPORAL_BROADCAST_ADDRESS="$(hostname -i | awk '{print $1}')"
  export TEMPORAL_BROADCAST_ADDRESS
fi

exec temporal-server --root / --config "${TEMPORAL_CONFIG_DIR:-/deploy/temporal/config}" --env fleetwave \
  --allow-no-auth start
