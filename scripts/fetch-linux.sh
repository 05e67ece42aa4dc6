#!/usr/bin/env bash
# Fetch Debian's stock Linux kernels and busybox-static into a cache outside
# the repository, at the versions pinned in scripts/linux.lock.
#
#   scripts/fetch-linux.sh            fetch what the lock names (verify sha256)
#   scripts/fetch-linux.sh --update   pick the newest kernel ABI that all three
#                                     flavours share, fetch it, rewrite the lock
#   scripts/fetch-linux.sh --print    print the cache folder and exit
#
# What it leaves in the cache folder ($TDPSIM_CACHE, else
# $XDG_CACHE_HOME/tdpsim, else ~/.cache/tdpsim, then linux/):
#   vmlinuz-cloud-amd64  vmlinuz-686  vmlinuz-686-pae  (the bzImages)
#   busybox-amd64  busybox-i386                        (static binaries)
#
# The i386 packages come through apt with lists and a cache of its own and
# both architectures named on the command line: adding i386 to the machine's
# dpkg architectures breaks later `apt-get update`s (shared/LINUX.md). The
# archive is the one this machine's apt configuration already uses.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
lock=$here/scripts/linux.lock
cache=${TDPSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tdpsim}/linux
mode=fetch
for a in "$@"; do
	case "$a" in
	--update) mode=update ;;
	--print) echo "$cache"; exit 0 ;;
	*) echo "fetch-linux.sh: unknown option '$a'" >&2; exit 2 ;;
	esac
done

log() { printf 'fetch-linux: %s\n' "$*" >&2; }
die() { printf 'fetch-linux: error: %s\n' "$*" >&2; exit 2; }

aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$cache/debs"

# This machine's archive for its own release and for its security updates.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
uri_of() { # $1: suite
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' |
		awk -v s="$1" '$2 == s { print $1; exit }'
}
main_uri=$(uri_of "$codename")
[ -n "$main_uri" ] || die "no Debian archive for '$codename' in the apt configuration"
sec_uri=$(uri_of "$codename-security")
{
	echo "deb [arch=amd64,i386] $main_uri $codename main"
	echo "deb [arch=amd64,i386] $main_uri $codename-updates main"
	[ -z "$sec_uri" ] || echo "deb [arch=amd64,i386] $sec_uri $codename-security main"
} >"$aptdir/sources.list"

APT=(apt-get -q -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=i386
	-o Debug::NoLocking=1)
# As root, apt hands downloads to the _apt user, who cannot write the cache.
[ "$(id -u)" -ne 0 ] || APT+=(-o APT::Sandbox::User=root)
CACHE_Q=(apt-cache -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
	-o APT::Architectures::=amd64 -o APT::Architectures::=i386)

log "reading the package lists ($codename, amd64 and i386)"
"${APT[@]}" update >/dev/null || die "apt-get update failed for the private lists in $aptdir"

# The newest version of PKG:ARCH the lists offer ("" if none).
newest() { "${CACHE_Q[@]}" madison "$1:$2" 2>/dev/null | awk -F'|' 'NR==1 { gsub(/ /,"",$2); print $2 }'; }

if [ "$mode" = update ]; then
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
	deb=$cache/debs/${name}_${ver//:/%3a}_$arch.deb
	if [ ! -s "$deb" ]; then
		log "downloading $name:$arch $ver"
		(cd "$cache/debs" && "${APT[@]}" download "$name:$arch=$ver" >/dev/null) ||
			die "cannot download $name:$arch=$ver (is it still in the archive?)"
	fi
	got=$(sha256sum "$deb" | cut -d' ' -f1)
	if [ "$sum" != - ] && [ "$sum" != "$got" ]; then
		die "$deb: sha256 $got, the lock says $sum"
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
