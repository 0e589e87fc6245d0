#!/usr/bin/env bash
# Installs everything webgan needs on a fresh Debian machine of this project's kind.
# Idempotent: anything already present is skipped. Downloads only from Debian's packages,
# crates.io and the npm registry.
#   scripts/setup.sh          # native build + tests (Vulkan on CPU for the wgpu backend)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(mesa-vulkan-drivers libvulkan1)

need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # Parallel apt runs on one machine can delete each other's downloads: retry once.
  for attempt in 1 2; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" = 2 ] && { echo "setup: apt-get failed twice" >&2; exit 1; }
    sleep 5
  done
fi
echo "setup: native toolchain ready ($(cargo --version))"
