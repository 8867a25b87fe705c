#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on PATH: the dashboard test runs a real
# Prometheus and the alert-rule tests run promtool. Where they are missing, installs
# Debian's `prometheus` package with apt-get (as root, or through sudo without a
# password). Without either, fails and says what to install: the tests would fail
# anyway, and skipping them would hide that the rules and dashboards go unchecked.
set -euo pipefail

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "ensure-prometheus: prometheus/promtool are missing and this user cannot install" \
    "packages; install Debian's 'prometheus' package (apt-get install prometheus)," \
    "or put both binaries on PATH" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-prometheus: prometheus/promtool are missing and there is no apt-get here;" \
    "put both binaries (Prometheus 2.x or later) on PATH" >&2
  exit 1
fi

echo "ensure-prometheus: installing Debian's prometheus package" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Only the binaries are wanted: a machine with systemd starts the packaged server
# on :9090, which the tests neither need nor should find in their way.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  "${as_root[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v prometheus >/dev/null && command -v promtool >/dev/null
