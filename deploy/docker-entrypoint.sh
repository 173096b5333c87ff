#!/bin/sh
# Runs one Kera service from the built image (gateway, workflow, dispatcher
# or audit), or the operator CLI: `kera <command>`, e.g. `kera migrate`.
set -e
service="${1:-gateway}"
# The same environment defaults as libs/config/src/node-options.ts gives each service.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
case "$service" in
  # The same V8 options as libs/config/src/node-options.ts gives each service.
  audit|dispatcher)
    exec node --max-semi-space-size=8 --max-old-space-size=160 \
      -r /app/tools/register.js "/app/dist/apps/$service/src/main.js" ;;
  gateway)
    exec node --min-semi-space-size=8 --max-semi-space-size=8 --heap-growing-percent=50 \
      -r /app/tools/register.js "/app/dist/apps/$service/src/main.js" ;;
  workflow)
    exec node -r /app/tools/register.js "/app/dist/apps/$service/src/main.js" ;;
  kera)
    shift
    exec node /app/tools/kera.js "$@" ;;
  *)
    echo "kera: unknown service '$service' (gateway, workflow, dispatcher, audit or kera <command>)" >&2
    exit 64 ;;
esac
