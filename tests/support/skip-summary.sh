#!/bin/sh
# The runner cargo starts each test binary with (see .cargo/config.toml): runs it unchanged,
# then, when tests of that binary were skipped (tests/support/mod.rs `skip` appends each to
# RUNNERC_SKIP_LOG), prints one line saying how many and why, so a skip does not pass unseen
# in a long log. Any other program cargo runs (`cargo run`, benches) passes through the same way.
log=$(mktemp "${TMPDIR:-/tmp}/runnerc-skips.XXXXXX") || exec "$@"
RUNNERC_SKIP_LOG=$log "$@"
status=$?
if [ -s "$log" ]; then
    tests=$(cut -f1 "$log" | sort -u | wc -l | tr -d ' ')
    reasons=$(cut -f2 "$log" | sort -u | paste -s -d ';' - | sed 's/;/; /g')
    binary=$(basename "$1" | sed 's/-[0-9a-f]*$//')
    if [ "$tests" = 1 ]; then noun=test; else noun=tests; fi
    printf '\n*** %s: %s %s SKIPPED (%s); RUNNERC_E2E=1 makes a skip a failure ***\n\n' \
        "$binary" "$tests" "$noun" "$reasons" >&2
fi
rm -f "$log"
exit "$status"
