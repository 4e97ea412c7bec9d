#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo run, when missing. Daemons are kept from
# starting on install (policy-rc.d): the tests and the demo start their own on loopback.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have prometheus || need+=(prometheus)
have promtool || need+=(prometheus)
have etcd || need+=(etcd-server)
have redis-server || need+=(redis-server)
have go || need+=(golang-go)
have dpkg-source || need+=(dpkg-dev)
have openssl || need+=(openssl)
have chromium || need+=(chromium)
have kubectl || need+=(kubernetes-client)
have podman || need+=(podman)
have mmdebstrap || need+=(mmdebstrap)
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || need+=(golang-github-modern-go-reflect2-dev)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or install them with apt-get)" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
