#!/usr/bin/env bash
# Play tutorial lessons the way the tutorial engine does, and check every expectation.
#
#   sessions/tutorial/check.sh [-n RUNS] [-v] [LESSON.bpfsh …]     (default: every lesson here)
#
# For each lesson: one bpfsh session whose stdin is a FIFO, so it lives across steps. For each
# step: its `#> setup:` commands run first (sh -c, synchronously, 60 s bound); its `#> workload:`
# commands start in the background (sh -c) as the command is sent; the step's output (stdout and
# stderr) is what bpfsh printed until a marker echoed after the command; every `#> expect: TEXT`
# must be in it, with no error; a step with `#> expect-error: TEXT` must fail with TEXT in its
# output. (The markers are bpfsh `echo` commands: in a checked session, `history` and `save`
# show them too; the tutorial engine has none.) A lesson must end with no probe attached, and once the session has quit no bpfsh_
# program may stay loaded in the kernel.
#
# Environment: BPFSH (the bpfsh binary; default: bpfsh on PATH, else .build/release/bpfsh),
# BPFSH_SNIPPETS (default: bpf-snippets/ of this checkout), STEP_TIMEOUT (seconds, default 60).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BPFSH=${BPFSH:-$(command -v bpfsh || echo "$root/.build/release/bpfsh")}
export BPFSH_SNIPPETS=${BPFSH_SNIPPETS:-$root/bpf-snippets}
STEP_TIMEOUT=${STEP_TIMEOUT:-60}
runs=1
verbose=0
while [ $# -gt 0 ]; do
    case $1 in
        -n) runs=$2; shift 2 ;;
        -v) verbose=1; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
if [ $# -eq 0 ]; then set -- "$here"/[0-9][0-9]-*.bpfsh; fi
if [ ! -x "$BPFSH" ]; then echo "check.sh: no bpfsh at '$BPFSH' (set BPFSH)" >&2; exit 2; fi

work=$(mktemp -d /tmp/bpfsh-tutorial-check.XXXXXX)
bpfsh_pid=
cleanup() {
    exec 3>&- 2>/dev/null
    if [ -n "$bpfsh_pid" ] && kill -0 "$bpfsh_pid" 2>/dev/null; then kill -TERM "$bpfsh_pid"; wait "$bpfsh_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Split a lesson into steps: $work/steps/N/{cmd,setup,workload,expect,expect-error}.
# A command is a non-comment line, continued while its braces are open; `#>` lines after it are its
# directives; `#` lines are prose.
split_lesson() {
    rm -rf "$work/steps"; mkdir -p "$work/steps"
    awk -v dir="$work/steps" '
        function opens(s,   t) { t = s; return gsub(/\{/, "", t) }
        function closes(s,  t) { t = s; return gsub(/\}/, "", t) }
        function out(name, text) { print text >> (dir "/" n "/" name); close(dir "/" n "/" name) }
        BEGIN { n = 0; depth = 0 }
        depth > 0 { out("cmd", $0); depth += opens($0) - closes($0); next }
        /^#>/ {
            if (n == 0) { print "directive before any command: " $0 > "/dev/stderr"; exit 1 }
            line = substr($0, 3); sub(/^ +/, "", line)
            k = index(line, ":"); if (k == 0) { print "bad directive: " $0 > "/dev/stderr"; exit 1 }
            key = substr(line, 1, k - 1); val = substr(line, k + 1); sub(/^ /, "", val)
            if (key != "setup" && key != "workload" && key != "expect" && key != "expect-error" && key != "explain") {
                print "unknown directive: " $0 > "/dev/stderr"; exit 1 }
            if (key != "explain") out(key, val)
            next
        }
        /^#/ || /^[ \t]*$/ { next }
        { n++; system("mkdir -p " dir "/" n); out("cmd", $0); depth = opens($0) - closes($0) }
        END { if (depth != 0) { print "unbalanced braces at the end" > "/dev/stderr"; exit 1 } }
    ' "$1"
}

# Wait until the marker line is in the log; print the log between offsets.
wait_marker() { # marker deadline
    while ! grep -qxF "$1" "$work/log"; do
        if [ "$(date +%s)" -ge "$2" ] || ! kill -0 "$bpfsh_pid" 2>/dev/null; then return 1; fi
        sleep 0.05
    done
}

play() { # lesson.bpfsh → 0 when every expectation held
    local lesson=$1 failed=0 n step cmd start deadline out marker wl_pids
    split_lesson "$lesson" || return 1
    rm -f "$work/fifo" "$work/log"; mkfifo "$work/fifo"; : >"$work/log"
    (cd "$root" && exec "$BPFSH" --no-color <"$work/fifo" >>"$work/log" 2>&1) &
    bpfsh_pid=$!
    exec 3>"$work/fifo"
    local steps; steps=$(ls "$work/steps" | sort -n)
    for n in $steps; do
        step=$work/steps/$n
        IFS= read -r cmd <"$step/cmd"   # builtins only: a cat or head here would show up in the lessons' maps
        if [ -f "$step/setup" ]; then
            while IFS= read -r s; do
                timeout 60 sh -c "$s" >>"$work/setup.log" 2>&1 || { echo "  ✗ step $n setup failed: $s"; failed=1; }
            done <"$step/setup"
        fi
        start=$(wc -c <"$work/log")
        wl_pids=
        if [ -f "$step/workload" ]; then
            while IFS= read -r w; do sh -c "$w" >/dev/null 2>&1 & wl_pids="$wl_pids $!"; done <"$step/workload"
        fi
        marker="@@tutorial-step-$n-done@@"
        printf '%s\necho %s\n' "$(<"$step/cmd")" "$marker" >&3
        deadline=$(( $(date +%s) + STEP_TIMEOUT ))
        if ! wait_marker "$marker" "$deadline"; then
            echo "  ✗ step $n ($cmd): no end of output within ${STEP_TIMEOUT}s (or bpfsh exited)"
            failed=1; break
        fi
        for p in $wl_pids; do wait "$p" 2>/dev/null; done
        out=$(tail -c +"$((start + 1))" "$work/log" | grep -vxF "$marker")
        [ "$verbose" = 1 ] && { echo "  --- step $n: $cmd"; printf '%s\n' "$out" | sed 's/^/  | /'; }
        if [ -f "$step/expect-error" ]; then
            if ! printf '%s\n' "$out" | grep -q 'error:'; then echo "  ✗ step $n ($cmd): expected a failure, it succeeded"; failed=1; fi
            while IFS= read -r e; do
                printf '%s\n' "$out" | grep -qF -- "$e" || { echo "  ✗ step $n ($cmd): error lacks '$e'"; failed=1; }
            done <"$step/expect-error"
        else
            if printf '%s\n' "$out" | grep -q 'error:'; then
                echo "  ✗ step $n ($cmd): failed:"; printf '%s\n' "$out" | sed 's/^/      /' | head -12; failed=1
            fi
            if [ -f "$step/expect" ]; then
                while IFS= read -r e; do
                    printf '%s\n' "$out" | grep -qF -- "$e" || {
                        echo "  ✗ step $n ($cmd): output lacks '$e'"; printf '%s\n' "$out" | sed 's/^/      /' | head -12; failed=1; }
                done <"$step/expect"
            fi
        fi
    done
    # The lesson must leave no probe behind.
    marker="@@tutorial-end@@"
    start=$(wc -c <"$work/log")
    printf 'probes\necho %s\n' "$marker" >&3
    if wait_marker "$marker" "$(( $(date +%s) + STEP_TIMEOUT ))"; then
        tail -c +"$((start + 1))" "$work/log" | grep -q '^no probes' || { echo "  ✗ the lesson ends with probes attached"; failed=1; }
    fi
    echo quit >&3; exec 3>&-
    wait "$bpfsh_pid"; local rc=$?; bpfsh_pid=
    # Exit status 1 says a command failed: expected in a lesson with an expect-error step.
    local allowed=0; ls "$work"/steps/*/expect-error >/dev/null 2>&1 && allowed=1
    [ "$rc" = 0 ] || { [ "$rc" = 1 ] && [ "$allowed" = 1 ]; } || [ "$failed" = 1 ] || { echo "  ✗ bpfsh exited with status $rc"; failed=1; }
    # Nothing may stay loaded (other bpfsh sessions on the machine may come and go: wait for them).
    local left=0 i
    for i in $(seq 1 50); do
        left=$(bpftool prog show 2>/dev/null | grep -c 'name bpfsh_')
        [ "$left" = 0 ] && break
        sleep 0.2
    done
    [ "$left" = 0 ] || { echo "  ✗ $left bpfsh_ programs still loaded after quit"; failed=1; }
    return $failed
}

passed=0; failures=0
for lesson in "$@"; do
    for r in $(seq 1 "$runs"); do
        t0=$(date +%s%N)
        if play "$lesson"; then
            passed=$((passed + 1)); printf '✓ %s (run %d, %ds)\n' "$(basename "$lesson")" "$r" "$(( ($(date +%s%N) - t0) / 1000000000 ))"
        else
            failures=$((failures + 1)); printf '✗ %s (run %d)\n' "$(basename "$lesson")" "$r"
        fi
    done
done
echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
