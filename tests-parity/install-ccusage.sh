#!/usr/bin/env bash
# Installs the reference ccusage 20.0.24 (a static native binary shipped in the npm package
# @ccusage/ccusage-linux-x64) into a node_modules dir and prints the binary's path, for
# CCUSAGE_BIN. Idempotent: an existing install of the right version is reused.
#
#   export CCUSAGE_BIN="$(tests-parity/install-ccusage.sh [DIR])"
#
# DIR defaults to $HOME/.cache/claude-gauge/ccusage-20.0.24. Only 20.0.24 is used: it is the
# newest version whose linux-x64 native package is on the registry, and docs/ccusage-rules.md
# describes that version's rules.
set -euo pipefail

version=20.0.24
dir="${1:-${HOME}/.cache/claude-gauge/ccusage-${version}}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-ccusage: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
bin="${dir}/node_modules/@ccusage/ccusage-linux-${arch}/bin/ccusage"

if [[ ! -f "${bin}" ]] || [[ "$("${bin}" --version 2>/dev/null || true)" != "ccusage ${version}" ]]; then
  mkdir -p "${dir}"
  npm install --prefix "${dir}" --no-audit --no-fund --loglevel=error "ccusage@${version}" >&2
fi
# npm does not keep the executable bit of the native binary.
chmod +x "${bin}"
if [[ "$("${bin}" --version)" != "ccusage ${version}" ]]; then
  echo "install-ccusage: ${bin} is not ccusage ${version}" >&2
  exit 1
fi
echo "${bin}"
