#!/usr/bin/env bash
# The README's test command: installs everything the suite needs on a fresh machine
# (Debian packages, the package with its test extras), then runs lint and the whole
# suite against SQLite and the PostgreSQL server on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q -e '.[test,postgres]'
python3 -m ruff check quickcrm tests benchmarks
python3 -m mypy quickcrm
python3 -m pytest "$@"
