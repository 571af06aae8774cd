#!/usr/bin/env bash
# mypy over the whole regsuite package as it installs: regsuite/ with fixtures/ and conformance/ as
# regsuite.fixtures and regsuite.conformance (setuptools package-dir), through a tree of links that mypy can
# read (it follows no import hooks). Paths in the output are the checkout's own.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MYPY=${MYPY:-mypy}
tree=$(mktemp -d "${TMPDIR:-/tmp}/regsuite-typecheck.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/regsuite"
for entry in regsuite/*; do
  ln -s "$ROOT/$entry" "$tree/regsuite/"
done
ln -s "$ROOT/fixtures" "$tree/regsuite/fixtures"
ln -s "$ROOT/conformance" "$tree/regsuite/conformance"
cd "$tree"
set +e
MYPYPATH="$tree" "$MYPY" --config-file "$ROOT/pyproject.toml" --cache-dir "$ROOT/.mypy_cache" -p regsuite 2>&1 \
  | sed -e "s#^regsuite/fixtures/#fixtures/#" -e "s#^regsuite/conformance/#conformance/#"
exit "${PIPESTATUS[0]}"
