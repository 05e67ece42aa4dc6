#!/usr/bin/env bash
# Fetch Debian's stock Linux kernels and busybox-static into a cache outside
# the repository, at the versions pinned in scripts/linux.lock.
#
#   scripts/fetch-linux.sh            fetch what the lock names (verify sha256)
#   scripts/fetch-linux.sh --update   pick the newest kernel ABI that all three
#                                     flavours share, fetch it, rewrite the lock
#   scripts/fetch-linux.sh --print    print the cache folder and exit
#   scripts/fetch-linux.sh --arch amd64   only the lock's amd64 packages (the
#                                     64-bit kernel and its busybox: CI's boot)
#
# What it leaves in the cache folder ($TDPSIM_CACHE, else
# $XDG_CACHE_HOME/tdpsim, else ~/.cache/tdpsim, then linux/):
#   vmlinuz-cloud-amd64  vmlinuz-686  vmlinuz-686-pae  (the bzImages)
#   busybox-amd64  busybox-i386                        (static binaries)
#
# The i386 packages come through apt with lists and a cache of its own and
# both architectures named on the command line: adding i386 to the machine's
# dpkg architectures breaks later `apt-get update`s (shared/LINUX.md). The
# archive is the one this machine's apt configuration already uses
# ($TDPSIM_DEBIAN_ARCHIVE, when set, replaces it).
#
# When the cache already holds every package of the lock with its sha256,
# nothing is downloaded and no network is needed. Every failure (archive
# unreachable, a pinned version gone after a point release, a checksum that
# differs) ends with one line saying what to do, and exit status 2; apt's
# own messages go to the cache's apt.log.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
lock=$here/scripts/linux.lock
cache=${TDPSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tdpsim}/linux
mode=fetch
only=
while [ $# -gt 0 ]; do
	case "$1" in
	--update) mode=update ;;
	--print) echo "$cache"; exit 0 ;;
	--arch)
		[ $# -ge 2 ] && { [ "$2" = amd64 ] || [ "$2" = i386 ]; } ||
			{ echo "fetch-linux.sh: --arch takes amd64 or i386" >&2; exit 2; }
		only=$2
		shift
		;;
	*) echo "fetch-linux.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$only" ] || [ "$mode" != update ] ||
	{ echo "fetch-linux.sh: --update pins every package: drop --arch" >&2; exit 2; }

log() { printf 'fetch-linux: %s\n' "$*" >&2; }
die() { printf 'fetch-linux: error: %s\n' "$*" >&2; exit 2; }

aptdir=$cache/apt
alog=$cache/apt.log
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$cache/debs"

# A stalled connection fails instead of hanging; one retry.
APT=(apt-get -q -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=i386
	-o Acquire::Retries=1 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30
	-o Debug::NoLocking=1)
# As root, apt hands downloads to the _apt user, who cannot write the cache.
[ "$(id -u)" -ne 0 ] || APT+=(-o APT::Sandbox::User=root)
CACHE_Q=(apt-cache -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=i386)

# The package lists (amd64 and i386) of this machine's archive for its own
# release and for its security updates, read once, when something must be
# downloaded.
lists_read=0
read_lists() {
	[ "$lists_read" = 0 ] || return 0
	lists_read=1
	local codename main_uri sec_uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri_of() { # $1: suite
		apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
			awk -v s="$1" '$2 == s { print $1; exit }'
	}
	main_uri=${TDPSIM_DEBIAN_ARCHIVE:-$(uri_of "$codename")}
	[ -n "$main_uri" ] || die "no Debian archive for '$codename' in the apt configuration: set TDPSIM_DEBIAN_ARCHIVE to one"
	sec_uri=
	[ -n "${TDPSIM_DEBIAN_ARCHIVE:-}" ] || sec_uri=$(uri_of "$codename-security")
	{
		echo "deb [arch=amd64,i386] $main_uri $codename main"
		echo "deb [arch=amd64,i386] $main_uri $codename-updates main"
		[ -z "$sec_uri" ] || echo "deb [arch=amd64,i386] $sec_uri $codename-security main"
	} >"$aptdir/sources.list"
	log "reading the package lists ($codename, amd64 and i386)"
	timeout 900 "${APT[@]}" --error-on=any update >"$alog" 2>&1 ||
		die "cannot read the package lists from $main_uri ($alog says why): check the network and apt's proxy, or fill $cache from a machine that can"
}

# The newest version of PKG:ARCH the lists offer ("" if none).
newest() { "${CACHE_Q[@]}" madison "$1:$2" 2>/dev/null | awk -F'|' 'NR==1 { gsub(/ /,"",$2); print $2 }'; }
# Whether the lists offer PKG:ARCH at version VER.
offered() {
	"${CACHE_Q[@]}" madison "$1:$2" 2>/dev/null |
		awk -F'|' -v v="$3" '{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }'
}

if [ "$mode" = update ]; then
	read_lists
	# The ABIs (6.1.0-NN) that the cloud-amd64 image exists in, newest first;
	# take the first that the two i386 flavours have too.
	abis=$("${CACHE_Q[@]}" pkgnames linux-image-6 | grep -E '^linux-image-[0-9.]+-[0-9]+-cloud-amd64$' |
		sed -E 's/^linux-image-(.*)-cloud-amd64$/\1/' | sort -V -r)
	abi=
	for a in $abis; do
		if [ -n "$(newest "linux-image-$a-686" i386)" ] && [ -n "$(newest "linux-image-$a-686-pae" i386)" ] &&
			[ -n "$(newest "linux-image-$a-cloud-amd64" amd64)" ]; then
			abi=$a
			break
		fi
	done
	[ -n "$abi" ] || die "no kernel ABI is offered in all of cloud-amd64, 686 and 686-pae"
	log "kernel ABI $abi"
	{
		echo "# Debian packages that scripts/fetch-linux.sh fetches: name arch version sha256."
		echo "# One kernel ABI for all three flavours; rewrite with 'scripts/fetch-linux.sh --update'."
		for p in "linux-image-$abi-cloud-amd64 amd64" "linux-image-$abi-686 i386" \
			"linux-image-$abi-686-pae i386" "busybox-static amd64" "busybox-static i386"; do
			set -- $p
			v=$(newest "$1" "$2")
			[ -n "$v" ] || die "$1:$2 is not offered"
			echo "$1 $2 $v -"
		done
	} >"$lock.new"
fi

src=$lock
[ "$mode" = update ] && src=$lock.new
[ -f "$src" ] || die "no $src: run 'scripts/fetch-linux.sh --update' once to pin the versions"

# Fetch each package at its pinned version and check its sha256.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while read -r name arch ver sum; do
	[ -n "$name" ] || continue
	if [ -n "$only" ] && [ "$arch" != "$only" ]; then
		echo "$name $arch $ver $sum" >>"$out"
		continue
	fi
	deb=$cache/debs/${name}_${ver//:/%3a}_$arch.deb
	if [ -s "$deb" ] && [ "$sum" != - ] && [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$sum" ]; then
		log "$deb: not the bytes the lock pins; downloading it again"
		rm -f "$deb"
	fi
	if [ ! -s "$deb" ]; then
		read_lists
		offered "$name" "$arch" "$ver" ||
			die "$name:$arch $ver is no longer in the archive (a point release replaced it): run 'scripts/fetch-linux.sh --update' to pin the archive's current versions, then commit scripts/linux.lock"
		log "downloading $name:$arch $ver"
		(cd "$cache/debs" && timeout 1800 "${APT[@]}" download "$name:$arch=$ver" </dev/null >>"$alog" 2>&1) ||
			die "cannot download $name:$arch=$ver ($alog says why): check the network and apt's proxy"
	fi
	got=$(sha256sum "$deb" | cut -d' ' -f1)
	if [ "$sum" != - ] && [ "$sum" != "$got" ]; then
		die "$deb: sha256 $got, but scripts/linux.lock pins $sum: the archive served other bytes for the same version; remove the file to try again, or check the mirror"
	fi
	echo "$name $arch $ver $got" >>"$out"
	case "$name" in
	linux-image-*)
		flavour=$(sed -E 's/^linux-image-[0-9.]+-[0-9]+-//' <<<"$name")
		dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards './boot/vmlinuz-*' >"$cache/vmlinuz-$flavour.tmp"
		[ -s "$cache/vmlinuz-$flavour.tmp" ] || die "$deb holds no /boot/vmlinuz-*"
		mv "$cache/vmlinuz-$flavour.tmp" "$cache/vmlinuz-$flavour"
		;;
	busybox-static)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -O ./bin/busybox >"$cache/busybox-$arch.tmp"
		[ -s "$cache/busybox-$arch.tmp" ] || die "$deb holds no /bin/busybox"
		chmod 755 "$cache/busybox-$arch.tmp"
		mv "$cache/busybox-$arch.tmp" "$cache/busybox-$arch"
		;;
	esac
done < <(grep -v '^#' "$src")

if [ "$mode" = update ]; then
	{
		grep '^#' "$lock.new"
		cat "$out"
	} >"$lock"
	rm -f "$lock.new"
	log "pinned in scripts/linux.lock"
fi
log "kernels and busybox in $cache"
