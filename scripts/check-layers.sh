#!/usr/bin/env bash
# Prove that the files of a source folder (default src/cpu) call each other
# in no cycle, so that the folder is layered leaf-first.
#
#   scripts/check-layers.sh [DIR] [--edges]
#
# The call graph comes from cscope (the calls of each function the folder
# defines), definitions and prototypes from universal-ctags. An edge a -> b
# means a function defined in a.c calls a function defined in b.c (a static
# inline function in b.h counts as b.h's). Calls through function pointers
# (Unicorn's hooks, the sink's callbacks) are not edges: they are the seams
# that let a lower file call up without depending on it. Includes among the
# folder's headers are edges too. tsort(1) then orders the files or names
# the loop. Exit status: 0 no cycle, 1 a cycle (printed), 2 a tool missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=src/cpu
show_edges=0
for a in "$@"; do
	case $a in
	--edges) show_edges=1 ;;
	-*) echo "check-layers: unknown option '$a'" >&2; exit 2 ;;
	*) dir=$a ;;
	esac
done
for tool in ctags cscope tsort; do
	if ! command -v "$tool" >/dev/null; then
		echo "check-layers: '$tool' not found (Debian: universal-ctags, cscope, coreutils)" >&2
		exit 2
	fi
done
if ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
	echo "check-layers: ctags is not Universal Ctags (Debian: universal-ctags)" >&2
	exit 2
fi
shopt -s nullglob
files=("$dir"/*.c "$dir"/*.h)
if [ ${#files[@]} -eq 0 ]; then
	echo "check-layers: no C files in '$dir'" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name file: every function defined in the folder; file:line of every
# prototype (cscope takes some of them for calls).
ctags -x --language-force=C --kinds-C=f --_xformat='%N %F' "${files[@]}" | sort -u >"$tmp/defs"
ctags -x --language-force=C --kinds-C=p --_xformat='%F:%n' "${files[@]}" | sort -u >"$tmp/protos"
# call-file callee: every call of a folder function (cscope: functions
# calling this function), prototypes dropped.
cscope -b -k -f "$tmp/cscope.out" "${files[@]}"
cut -d' ' -f1 "$tmp/defs" | sort -u | while read -r fn; do
	cscope -d -f "$tmp/cscope.out" -L -3 "$fn" | awk -v fn="$fn" '{ print $1 ":" $3, $1, fn }'
done | awk 'NR == FNR { proto[$1] = 1; next } !($1 in proto) { print $2, $3 }' \
	"$tmp/protos" - | sort -u >"$tmp/calls"

# Resolve each callee to the file that defines it: the caller's own file
# first (a static function), else every file that defines the name.
awk 'NR == FNR { def[$1] = def[$1] " " $2; next }
     {
	caller = $1; callee = $2
	if (!(callee in def)) next
	n = split(def[callee], f, " ")
	own = 0
	for (i = 1; i <= n; i++) if (f[i] == caller) own = 1
	if (own) next
	for (i = 1; i <= n; i++) print caller, f[i], "call", callee
     }' "$tmp/defs" "$tmp/calls" | sort -u >"$tmp/edges"
# Includes between the folder's own files.
for f in "${files[@]}"; do
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
		# By base name: "cpu/ctx.h" and "ctx.h" both name the folder's ctx.h.
		for g in "${files[@]}"; do
			if [ "${g##*/}" = "${inc##*/}" ] && [ "$g" != "$f" ]; then
				echo "$f $g include $inc"
			fi
		done
	done
done | sort -u >>"$tmp/edges"

# A file and its header are one module (foo.c implements foo.h).
sed -E 's/\.[ch]( |$)/\1/; s/\.[ch]( |$)/\1/' "$tmp/edges" | awk '$1 != $2' | sort -u >"$tmp/medges"
mv "$tmp/medges" "$tmp/edges"
if [ $show_edges = 1 ]; then
	cat "$tmp/edges"
fi
# Self-contained modules (no edge at all) still belong to the order.
for f in "${files[@]}"; do f=${f%.[ch]}; echo "$f $f"; done | sort -u >"$tmp/pairs"
awk '{ print $1, $2 }' "$tmp/edges" >>"$tmp/pairs"
if tsort "$tmp/pairs" >"$tmp/order" 2>"$tmp/loops"; then
	echo "check-layers: $dir: $(sort -u "$tmp/order" | wc -l) modules, $(awk '{ print $1, $2 }' "$tmp/edges" | sort -u | wc -l) dependencies, no cycle"
	exit 0
fi
echo "check-layers: $dir: the files call or include each other in a cycle:" >&2
grep -v 'input contains a loop' "$tmp/loops" | sed 's/^tsort: /  /' >&2
echo "edges on the cycle (caller callee kind name):" >&2
loopset=$(grep -v 'input contains a loop' "$tmp/loops" | sed 's/^tsort: //' | sort -u)
awk -v set="$loopset" 'BEGIN { n = split(set, a, "\n"); for (i = 1; i <= n; i++) in_loop[a[i]] = 1 }
     in_loop[$1] && in_loop[$2] { print "  " $0 }' "$tmp/edges" >&2
exit 1
