#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Dovecot), then run the gates and the whole suite:
# ruff's lint and format checks, the import layers (import-linter's contracts in pyproject.toml), mypy (strict on
# tickets/, sla/ and routing/, as pyproject.toml says), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
echo "ruff check, ruff format --check, lint-imports, mypy"
python3 -m ruff check -q helpdesk tests benchmarks
python3 -m ruff format --check -q helpdesk tests benchmarks
lint-imports --no-cache --no-logo  # the layers point down (pyproject.toml [tool.importlinter])
python3 -m mypy --no-incremental helpdesk
exec python3 -m pytest -q -p no:cacheprovider "$@"
