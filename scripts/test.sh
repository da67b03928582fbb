#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Dovecot), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
exec python3 -m pytest -q -p no:cacheprovider "$@"
