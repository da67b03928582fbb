#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Dovecot), then run the gates and the whole suite:
# ruff's lint and format checks, the import layers (import-linter's contracts in pyproject.toml), then pytest.
# (mypy, configured in pyproject.toml, joins them once `python3 -m mypy helpdesk` is clean: tickets/store.py:111 is left.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
echo "ruff check, ruff format --check, lint-imports"
python3 -m ruff check -q helpdesk tests benchmarks
python3 -m ruff format --check -q helpdesk tests benchmarks
lint-imports --no-cache --no-logo  # the layers point down (pyproject.toml [tool.importlinter])
exec python3 -m pytest -q -p no:cacheprovider "$@"
