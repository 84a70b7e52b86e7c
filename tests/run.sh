#!/usr/bin/env bash
# Runs every test of the project and ends with "N passed, N failed".
# Each test prints lines "PASS name" / "FAIL name: why"; a test command that
# exits non-zero without printing a FAIL line counts as one failure.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0
log=$(mktemp -d)
run() {  # run NAME CMD...
    local name=$1; shift
    local out="$log/$name.out"
    local t0=$(date +%s)
    "$@" >"$out" 2>&1
    local rc=$?
    local p=$(grep -c '^PASS ' "$out"); local f=$(grep -c '^FAIL ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $name: exited $rc without a FAIL line" >>"$out"; fi
    pass=$((pass + p)); fail=$((fail + f))
    printf '%-28s %4d passed %3d failed  (%ds)\n' "$name" "$p" "$f" $(( $(date +%s) - t0 ))
    if [ "$f" -ne 0 ]; then grep -E '^FAIL ' "$out" | head -20; tail -5 "$out" | sed 's/^/    | /'; fi
}
for t in tests/*.test; do
    [ -e "$t" ] || continue
    run "$(basename "$t" .test)" bash "$t"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
