#!/bin/sh
# Regenerate the expected goldens of traces/ (docs/golden.md) after a change that
# is meant to alter translations, so that the change shows in review:
#
#   scripts/regen-goldens.sh            # traces/NAME.golden from traces/NAME.tdt
#   scripts/regen-goldens.sh --record   # first record traces/NAME.tdt again (only
#                                       # when the trace format or pagetest changed)
#   git diff --stat traces/             # then read the diffs, or tdpsim diff OLD NEW
#
# traces/MANIFEST lists each trace: NAME | run options | replay options.
# TDPSIM (default build/tdpsim) and PAGETEST (default build/guests/pagetest) name
# the binaries. Paths written into the goldens are relative to the source tree.
set -eu
cd "$(dirname "$0")/.."
TDPSIM=${TDPSIM:-build/tdpsim}
PAGETEST=${PAGETEST:-build/guests/pagetest}
record=no
[ "${1:-}" = "--record" ] && record=yes

grep -v '^#' traces/MANIFEST | while IFS='|' read -r name run replay; do
	name=$(echo "$name" | tr -d ' ')
	[ -n "$name" ] || continue
	if [ $record = yes ]; then
		# The guest's console is not part of the trace; its exit status 1
		# means every pagetest check passed.
		status=0
		eval "\"$TDPSIM\" run --kernel \"$PAGETEST\" $run --record traces/$name.tdt" \
			>/dev/null 2>&1 || status=$?
		if [ $status -ne 1 ]; then
			echo "regen-goldens: recording $name: pagetest exited $status" >&2
			exit 2
		fi
	fi
	eval "\"$TDPSIM\" replay traces/$name.tdt $replay --golden traces/$name.golden" >/dev/null
	echo "traces/$name.golden: $(grep -c '^walk ' traces/$name.golden) walks, \
$(wc -c < traces/$name.tdt) bytes of trace"
done
