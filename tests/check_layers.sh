#!/usr/bin/env bash
# scripts/check-layers.sh: src/cpu has no cycle, and the checker does find
# one (tests/layers: a.c and b.c call each other; c.c only calls a.c).
set -u
cd "$(dirname "$0")/.."
out=$(scripts/check-layers.sh src/cpu 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: src/cpu (exit $rc)"; exit 1; }
out=$(scripts/check-layers.sh tests/layers 2>&1); rc=$?
echo "$out"
[ $rc -eq 1 ] || { echo "FAIL: the fixture's cycle was not found (exit $rc)"; exit 1; }
echo "$out" | grep -q 'tests/layers/a tests/layers/b call layer_b' &&
	echo "$out" | grep -q 'tests/layers/b tests/layers/a call layer_a' ||
	{ echo "FAIL: the cycle's edges are not named"; exit 1; }
echo "$out" | grep -q 'layers/c$' && { echo "FAIL: c is not on the cycle"; exit 1; }
echo "PASS"
