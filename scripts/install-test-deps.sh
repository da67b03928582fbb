#!/usr/bin/env bash
# Install what the tests need: Debian's Dovecot (IMAP server) and headless Chromium, the project's
# Python packages with their test extras. Idempotent: a second run installs nothing new.
# `install-test-deps.sh demo` leaves Chromium out (only a test of the HTML report uses it).
set -euo pipefail
mode="${1:-test}"
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_apt=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)
[ "$mode" = demo ] || command -v chromium >/dev/null 2>&1 || need_apt+=(chromium fonts-dejavu-core)   # renders the HTML report in a test
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  # The package's own service is never started here (no systemd); the tests run their own Dovecot.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 \
  | grep -vE "^WARNING: (Location|Running pip as)" || true
python3 -c "import helpdesk, imapclient, aiosmtplib, mailparser, apscheduler, tinydb, holidays, jinja2, aiosmtpd, pytest_asyncio, hypothesis, wheel, importlinter, mypy, matplotlib, numpy, Sastrawi, authres, lxml, flufl.bounce, trustme"
