#!/usr/bin/env bash
# The whole test suite: unit, pipeline (TestStream, portable runner) and end-to-end
# (moto server and local HTTP servers on 127.0.0.1). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/scripts/venv.sh"
cd "$IOTA_ROOT"
exec "$IOTA_PY" -m pytest "$@"
