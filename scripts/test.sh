#!/usr/bin/env bash
# The README's test command: installs everything the suite needs on a fresh machine
# (Debian packages, a fresh virtual environment with the package and its test extras),
# then runs lint, type checks and the whole suite against SQLite and the PostgreSQL
# server on 127.0.0.1:5432. Arguments are passed to pytest.
#
# The virtual environment is rebuilt on every run (QUICKCRM_TEST_VENV, default
# ./.venv-test), so a package installed by hand elsewhere can never make it pass.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# mail (issue 24): the IMAP tests run a private dovecot (tests/imap_support.py)
{ command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; } || need_apt+=(dovecot-imapd)
# issue 25: the PowerPoint is looked at through LibreOffice (tests/test_report_clientdocs.py)
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-impress-nogui)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)  # issue 25: axe-core for the a11y tests
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # wait for another apt run (unattended upgrades, a parallel job) instead of failing
  apt_wait=(-o DPkg::Lock::Timeout=600)
  apt-get "${apt_wait[@]}" update -q >/dev/null
  apt-get "${apt_wait[@]}" install -y -q "${need_apt[@]}" >/dev/null
fi

venv_dir="${QUICKCRM_TEST_VENV:-$PWD/.venv-test}"
echo "building a fresh virtual environment in $venv_dir" >&2
python3 -m venv --clear "$venv_dir"
py="$venv_dir/bin/python"
"$py" -m pip install -q --upgrade pip >/dev/null
"$py" -m pip install -q -e '.[test,postgres]'
export PATH="$venv_dir/bin:$PATH"
# issue 25 (web): axe-core, the accessibility engine the browser tests inject into Chromium,
# from the npm registry into the fresh venv (tests/a11y.py finds it there)
mkdir -p "$venv_dir/axe"
npm install --prefix "$venv_dir/axe" --no-audit --no-fund --silent axe-core@4 >/dev/null
"$py" -m ruff check quickcrm tests benchmarks
"$py" -m mypy quickcrm
"$py" -m pytest "$@"
