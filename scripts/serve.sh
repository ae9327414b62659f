#!/usr/bin/env bash
# The README's first command: install everything, then run the service on 127.0.0.1:8000
# with SQLite, the embedded vector store, the default model and the demo tenant.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export TRIAGE_DATA_DIR="${TRIAGE_DATA_DIR:-var}"
exec .venv/bin/triage serve --demo "$@"
