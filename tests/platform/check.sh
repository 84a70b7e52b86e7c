# Sourced by tests/platform/*.sh after they set PLATFORM (the name suffixed to
# every check, "aarch64") and EMULATOR (what runs the binaries, for messages).
# log: every PASS/FAIL line; the script counts them at its end.
log=$(mktemp)
export BML_TEST_EMULATED=1   # nothing is timed under an emulator (tests/bml_test.h)
check() {  # check CMD...: its PASS/FAIL lines, named @PLATFORM; exiting non-zero without a FAIL line is one
    local out; out=$(mktemp)
    "$@" > $out 2>&1; local rc=$?
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' $out; then echo "FAIL $(basename $2): exited $rc under $EMULATOR" >> $out; fi
    sed -E "s/^(PASS|FAIL) ([^ :]*)/\\1 \\2@$PLATFORM/" $out | tee -a $log
    rm -f $out
}
say() { echo "$@" | tee -a $log; }
