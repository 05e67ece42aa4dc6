#!/usr/bin/env bash
# Install everything tdpsim needs from Debian packages, idempotently.
#
# Unicorn must be 2.1 or later: bookworm's 2.0.1 maps every guest virtual
# address to the same physical address and has broken CPUID (see
# shared/UNICORN.md).  Debian trixie's libunicorn2t64 2.1.x needs only
# libc6 >= 2.34, so on bookworm we add a trixie source derived from this
# machine's own apt configuration (same archive, suite "trixie") and pin it so
# that only the Unicorn packages may come from there.
#
# Usage: scripts/setup.sh [--no-build]
#   Installs packages, then configures and builds tdpsim in build/ unless
#   --no-build is given.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=1
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

PKGS=(build-essential cmake pkg-config ninja-build
      libglib2.0-dev libjson-glib-dev libcapstone-dev libzstd-dev
      gcc-multilib nasm          # the guest kernels (32-bit code, boot stubs)
      qemu-system-x86            # a second reference CPU for the guest kernels
      chromium python3           # renders `compare --html` for its test (label chromium)
      universal-ctags cscope)    # scripts/check-layers.sh (CI: src/cpu has no cycle)
UNICORN_PKGS=(libunicorn-dev libunicorn2t64)
UNICORN_MIN=2.1

log() { printf 'setup: %s\n' "$*" >&2; }

unicorn_version() {
  pkg-config --modversion unicorn 2>/dev/null || true
}

version_ok() { # $1 >= $2 ?
  [ -n "$1" ] && dpkg --compare-versions "$1" ge "$2"
}

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

add_trixie_source() {
  local list=/etc/apt/sources.list.d/tdpsim-trixie.sources
  local pin=/etc/apt/preferences.d/tdpsim-unicorn
  if [ ! -f "$list" ]; then
    # The archive this machine already uses for its own release (not the
    # security archive): take it from apt's index targets.
    local uri
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' \
          | awk -v c="$codename" '$2 == c { print $1; exit }')
    if [ -z "$uri" ]; then
      log "cannot find the Debian archive for '$codename' in the apt configuration"
      exit 1
    fi
    log "adding trixie (Unicorn only) from this machine's archive"
    $SUDO tee "$list" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  if [ ! -f "$pin" ]; then
    $SUDO tee "$pin" >/dev/null <<'PIN'
# tdpsim: nothing comes from trixie except Unicorn.
Package: *
Pin: release n=trixie
Pin-Priority: -10

Package: libunicorn-dev libunicorn2t64
Pin: release n=trixie
Pin-Priority: 990
PIN
  fi
}

need_update=1
apt_update() {
  if [ "$need_update" = 1 ]; then
    $SUDO apt-get update -qq
    need_update=0
  fi
}

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  log "installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! version_ok "$(unicorn_version)" "$UNICORN_MIN"; then
  if [ "$codename" != trixie ] && [ "$codename" != forky ] && [ "$codename" != sid ]; then
    add_trixie_source
    need_update=1
  fi
  apt_update
  log "installing ${UNICORN_PKGS[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${UNICORN_PKGS[@]}" >/dev/null
fi

v=$(unicorn_version)
if ! version_ok "$v" "$UNICORN_MIN"; then
  log "Unicorn ${v:-not found} is installed, but tdpsim needs Unicorn >= $UNICORN_MIN"
  log "(bookworm's 2.0.1 maps every virtual address to itself; see shared/UNICORN.md)"
  exit 1
fi
log "Unicorn $v OK"

if [ "$build" = 1 ]; then
  cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTDPSIM_WERROR=ON >/dev/null
  cmake --build "$here/build" >&2
fi
