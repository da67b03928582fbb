#!/usr/bin/env bash
# The demo: a private Dovecot and SMTP sink on 127.0.0.1, sample citizen mail, the real daemon;
# prints the tickets it made and an acknowledgement it sent. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh demo
exec python3 -m helpdesk.demo "$@"
