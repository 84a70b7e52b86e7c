#!/usr/bin/env bash
# tests/fuzz/sanitize.sh "CC..." CFLAGS LDLIBS SKIP -- the suite against
# sanitizer builds, one per compiler (make test-sanitize passes "clang gcc").
#
# For each CC the working tree (tracked files and untracked ones git does not
# ignore; node_modules linked) is copied into build/san-CC/, the CLI, tests
# and examples are built there with CFLAGS/LDLIBS (given through the
# environment, so the Makefiles' own target-specific additions still apply),
# and that copy's own tests/run.sh runs: the .test scripts call ./batchml and
# build/tests/X relative to the tree they live in, so they run the sanitized
# binaries unchanged. Generated test models stay in the copy's build/ between
# runs. ASAN/UBSAN reports also go to build/san-CC/reports/ (log_path), so a
# report from a process whose exit status a test ignores still fails the run:
# each report counts as one failure. SKIP: test names (tests/NAME.test) left
# out. Ends with the combined "N passed, N failed" of every compiler.
set -u
cd "$(dirname "$0")/../.."
ccs=$1; cflags=$2; ldlibs=$3; skip=${4:-}
top=$PWD
all_p=0; all_f=0; rc=0
for cc in $ccs; do
dst=build/san-$cc
mkdir -p "$dst"
t0=$(date +%s)
# 1. sync the tree (everything but the copy's build/)
find "$dst" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$dst" || { echo "FAIL sanitize[$cc]: copying the tree"; all_f=$((all_f + 1)); rc=1; continue; }
find . -path ./build -prune -o -name node_modules -type d -prune -print | while read -r nm; do
    mkdir -p "$dst/$(dirname "$nm")"; ln -sfn "$top/$nm" "$dst/$nm"
done
for t in $skip; do rm -f "$dst/tests/$t.test"; done
# 2. build
echo "# sanitize[$cc]: building in $dst with $cflags${skip:+ (skipping: $skip)}"
if ! CC="$cc" CFLAGS="$cflags" LDLIBS="$ldlibs" HARDEN_NO_VALGRIND=1 make -C "$dst" -j"$(nproc)" -s batchml tests examples \
        > "$dst/build.log" 2>&1; then
    tail -30 "$dst/build.log"; echo "FAIL sanitize[$cc]: build failed (see $dst/build.log)"
    all_f=$((all_f + 1)); rc=1; continue
fi
# 3. run the suite
rm -rf "$dst/reports"; mkdir -p "$dst/reports"
(
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$top/$dst/reports/asan:log_exe_name=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$top/$dst/reports/ubsan:log_exe_name=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export BML_SANITIZE=$cc
# the oracles' answers (PyTorch, HF tokenizers) for the same inputs as the
# plain run: computed once, in the top tree's cache (tests/oracle_cache.py)
export BML_ORACLE_CACHE=${BML_ORACLE_CACHE:-$top/build/oracle-cache}
bash "$dst/tests/run.sh" 2>&1 | sed "s/^\([0-9]* passed, [0-9]* failed\)$/# sanitize[$cc] suite: \1/" | tee "$dst/suite.log"
# batch.test, when skipped (its full-size model in deterministic mode runs the
# instrumented reference GEMM for ~20 min), still runs on its tiny model
case " $skip " in *" batch "*)
    cd "$dst" && B=build/test-models &&
    { [ -f $B/batch-tiny/model.safetensors ] || ./batchml mkmodel $B/batch-tiny --seed 11 --layers 2 --hidden 32 --heads 4 --inter 64 2>/dev/null; }
    build/tests/batch $B/batch-tiny > build/batch-tiny.out 2>&1; st=$?
    printf '%-28s %4d passed %3d failed  (tiny model only)\n' batch-tiny "$(grep -c '^PASS' build/batch-tiny.out)" \
        "$(( $(grep -c '^FAIL' build/batch-tiny.out) + (st != 0 && $(grep -c '^FAIL' build/batch-tiny.out) == 0) ))" \
        | tee -a suite.log
    grep '^FAIL' build/batch-tiny.out | head -5;;
esac
)
p=$(grep -E '^[a-z_0-9-]+ +[0-9]+ passed +[0-9]+ failed' "$dst/suite.log" | awk '{s += $2} END {print s + 0}')
f=$(grep -E '^[a-z_0-9-]+ +[0-9]+ passed +[0-9]+ failed' "$dst/suite.log" | awk '{s += $4} END {print s + 0}')
nrep=$(find "$dst/reports" -type f | wc -l)
if [ "$nrep" -ne 0 ]; then
    echo "# sanitize[$cc]: $nrep sanitizer report(s):"
    for r in $(find "$dst/reports" -type f | head -10); do
        echo "FAIL sanitize[$cc] report $(basename "$r"): $(grep -m1 -E 'ERROR|runtime error' "$r")"
        grep -E '#[0-9] ' "$r" | head -6 | sed 's/^/    | /'
    done
fi
echo "# sanitize[$cc]: $(( $(date +%s) - t0 ))s, $p passed, $f failed, $nrep sanitizer reports"
all_p=$((all_p + p)); all_f=$((all_f + f + nrep))
[ "$f" -eq 0 ] && [ "$nrep" -eq 0 ] || rc=1
done
echo "$all_p passed, $all_f failed"
exit $rc
