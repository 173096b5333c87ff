#!/bin/sh
# Runs one Kera service from the built image: gateway, workflow, dispatcher or audit.
set -e
service="${1:-gateway}"
case "$service" in
  gateway|workflow|dispatcher|audit) ;;
  *) echo "kera: unknown service '$service' (gateway, workflow, dispatcher or audit)" >&2; exit 64 ;;
esac
exec node -r /app/tools/register.js "/app/dist/apps/$service/src/main.js"
