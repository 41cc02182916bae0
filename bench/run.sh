#!/usr/bin/env bash
# bench/run.sh — bpfsh's benchmark: bpfsh measured side by side with a
# hand-written libbpf C program (bench/ref.bpf.c + bench/ref.c) and bpftrace.
#
#   bash bench/run.sh                 # uses .build/release/bpfsh
#   BPFSH=/path/to/bpfsh bash bench/run.sh
#
# Needs root, clang-19, gcc, libbpf-dev, bpftool; bpftrace is optional.
# Artefacts and logs go to bench/out/ (gitignored).  A bpfsh number is "n/a"
# when the binary is missing or a step fails; the rest still runs.
#
# What is measured (see "Numbers it must reach" in DESIGN.md):
#   per-event cost  = ns/call of getppid with the probe attached
#                     - ns/call with nothing attached
#                     (bench/getppid_loop, $BENCH_N calls per run): the
#                     median over $BENCH_REPS rounds of (attached run -
#                     the baseline run just before it); the tool is
#                     restarted every round and the tools take turns,
#                     see per_event below)
#   enter->attached = the "in X ms" bpfsh reports after `probe`, median of
#                     $BENCH_PROBES probes differing by a constant (object
#                     cache misses); then the same probe text again (hits);
#                     cold cache = first probe with a fresh XDG_CACHE_HOME.
#   references      = C ref: exec to "ready" (open+load+attach), median of
#                     $BENCH_STARTS; bpftrace: start to exit of a one-probe
#                     script with `interval:ms:1 { exit(); }`, median of
#                     $BENCH_STARTS.
#   start to quit   = wall time of `printf 'quit\n' | bpfsh`, median of
#                     $BENCH_QUITS; bpftrace: `bpftrace -e 'BEGIN { exit(); }'`.
#   idle memory     = VmRSS (and VmHWM) of bpfsh 1 s after start, stdin an
#                     open FIFO; bpftrace: peak RSS of the run above
#                     (/usr/bin/time %M); C ref: VmRSS of `ref count` once
#                     attached.
#   print()         = bench/getppid_rate issues getppid at a fixed rate for
#   streaming         $BENCH_PRINT_SECS s while the tool prints one line per
#                     call of that pid (bpfsh: print("%d %llu\n", pid(),
#                     nsecs()) during `run`; bpftrace: printf; C ref:
#                     bench/ref_print); a rate passes when lines == calls,
#                     nothing was reported lost and the workload reached
#                     95 % of the rate.  Rates are stepped up through
#                     $BENCH_PRINT_RATES until one fails.  Overload: the same
#                     unpaced (at most $BENCH_PRINT_N calls), and once more
#                     with the tool stopped (SIGSTOP) for 0.5 s so that
#                     records must be lost; lines + lost must equal calls.
#
# Knobs (environment):
#   BPFSH          bpfsh binary            (default .build/release/bpfsh)
#   BENCH_N        getppid calls per run   (default 5000000)
#   BENCH_REPS     rounds per measurement  (default 3; to resolve 5 %, use
#                  more, e.g. BENCH_N=1000000 BENCH_REPS=15: the C ref
#                  against itself gave 0.93-1.07 with 5M x 3 and 0.95-1.01
#                  with 1M x 15 on the 2-core VM)
#   BENCH_PROBES   probes for latency      (default 11)
#   BENCH_STARTS   reference start-ups     (default 5)
#   BENCH_CPU      pin the workload to this CPU, "" = no pinning (default 1)
#   BENCH_TIMEOUT  timeout per process, s  (default 60)
#   BENCH_QUITS    start-to-quit runs      (default 11)
#   BENCH_PRINT_RATES  print() steady rates, events/s, ascending
#                  (default "100000 250000 500000 750000 1000000 2000000")
#   BENCH_PRINT_SECS   seconds per print() run (default 2)
#   BENCH_PRINT_N      most calls in the print() overload run (default 4000000)
#   BENCH_SKIP     space-separated parts to skip: bpftrace bpfsh perevent
#                  startup print

set -u
set -o pipefail

START_DIR=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n ${BPFSH:-} ]]; then
    [[ $BPFSH == /* ]] || BPFSH=$START_DIR/$BPFSH
else
    BPFSH=$ROOT/.build/release/bpfsh
fi
cd "$ROOT" || exit 1

BENCH=$ROOT/bench
OUT=$BENCH/out
LOGDIR=$OUT/logs
N=${BENCH_N:-5000000}
REPS=${BENCH_REPS:-3}
NPROBES=${BENCH_PROBES:-11}
NSTARTS=${BENCH_STARTS:-5}
CPU=${BENCH_CPU-1}
TMO=${BENCH_TIMEOUT:-60}
SKIP=" ${BENCH_SKIP:-} "
NQUITS=${BENCH_QUITS:-11}
PRINT_RATES=${BENCH_PRINT_RATES:-100000 250000 500000 750000 1000000 2000000}
PRINT_SECS=${BENCH_PRINT_SECS:-2}
PRINT_N=${BENCH_PRINT_N:-4000000}

TP=tracepoint:syscalls:sys_enter_getppid

mkdir -p "$OUT" "$LOGDIR"
LOG=$OUT/bench.log
: >"$LOG"
TMP=$(mktemp -d /tmp/bpfsh-bench.XXXXXX)
# print() output goes to a tmpfs when there is one, so that the disk is not
# what limits a tool's streaming rate
SINK=$(mktemp -d /dev/shm/bpfsh-bench.XXXXXX 2>/dev/null) || SINK=$TMP

# --------------------------------------------------------------------------
# housekeeping

PIDS=()          # every background process we started (timeout wrappers)
trap '' PIPE     # a dead child must not kill us when we write to its stdin

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$TMP"
    [[ $SINK == "$TMP" ]] || rm -rf "$SINK"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

log() { printf '%s\n' "$*" >>"$LOG"; }
say() { printf '%s\n' "$*" >&2; log "$*"; }
skipped() { [[ $SKIP == *" $1 "* ]]; }

now() { printf '%s' "$EPOCHREALTIME"; }           # seconds, microsecond resolution
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

is_num() { [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }

median() {
    (($# == 0)) && { echo n/a; return; }
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

sub() { # a - b, or n/a
    if is_num "${1:-}" && is_num "${2:-}"; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'
    else echo n/a; fi
}

ratio() { # a / b, or blank
    if is_num "${1:-}" && is_num "${2:-}" && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    else echo "-"; fi
}

# Remove a pid from PIDS once it has been reaped.
forget() {
    local p keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# --------------------------------------------------------------------------
# long-lived processes driven through FIFOs
#
# start_proc TAG CMD...   starts CMD under `timeout $TMO` with stdin and stdout
#                         on FIFOs; sets P_PID (the timeout wrapper), P_IN (fd
#                         we write), P_OUT (fd we read), P_LOG.  MERGE_ERR=1
#                         sends the child's stderr into the same stream.
# send LINE               writes a line to the child's stdin
# wait_line RE SECS       reads the child's stdout until a line matches RE;
#                         0 = matched (line in MATCH), 1 = timeout or EOF,
#                         2 = a line matched $ERR_RE first
# finish_proc SECS        closes stdin, drains stdout to the log, waits for
#                         exit (TERM, then KILL, after SECS); sets P_RC

start_proc() {
    local tag=$1
    shift
    local fin=$TMP/$tag.in fout=$TMP/$tag.out
    P_LOG=$LOGDIR/$tag.log
    : >"$P_LOG"
    rm -f "$fin" "$fout"
    mkfifo "$fin" "$fout"
    if [[ ${MERGE_ERR:-0} == 1 ]]; then
        timeout "$TMO" "$@" <"$fin" >"$fout" 2>&1 &
    else
        timeout "$TMO" "$@" <"$fin" >"$fout" 2>>"$P_LOG" &
    fi
    P_PID=$!
    PIDS+=("$P_PID")
    exec {P_IN}>"$fin"
    exec {P_OUT}<"$fout"
    P_BUF=
    log "[$tag] started pid $P_PID: $*"
}

send() {
    printf '%s\n' "$1" >&"$P_IN" 2>/dev/null || return 1
    printf '> %s\n' "$1" >>"$P_LOG"
}

ERR_RE=
wait_line() {
    local re=$1 deadline=$((SECONDS + $2)) line rc
    MATCH=
    while ((SECONDS <= deadline)); do
        if IFS= read -r -t 1 -u "$P_OUT" line; then
            line=$P_BUF$line
            P_BUF=
            printf '%s\n' "$line" >>"$P_LOG"
            if [[ $line =~ $re ]]; then
                MATCH=$line
                return 0
            fi
            if [[ -n $ERR_RE && $line =~ $ERR_RE ]]; then
                MATCH=$line
                return 2
            fi
        else
            rc=$?
            if ((rc > 128)); then       # timed out; keep any partial line
                P_BUF+=$line
            else                        # EOF: the child closed stdout
                [[ -n $P_BUF$line ]] && printf '%s\n' "$P_BUF$line" >>"$P_LOG"
                P_BUF=
                return 1
            fi
        fi
    done
    return 1
}

finish_proc() {
    local grace=${1:-20} drain
    exec {P_IN}>&-
    timeout "$TMO" cat <&"$P_OUT" >>"$P_LOG" &
    drain=$!
    exec {P_OUT}<&-
    local deadline=$((SECONDS + grace))
    while kill -0 "$P_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$P_PID" 2>/dev/null; then
        log "[finish] pid $P_PID still running after ${grace}s, sending TERM"
        kill -TERM "$P_PID" 2>/dev/null
        sleep 1
        kill -KILL "$P_PID" 2>/dev/null
    fi
    wait "$P_PID"
    P_RC=$?
    forget "$P_PID"
    wait "$drain" 2>/dev/null
    log "[finish] pid $P_PID exit status $P_RC"
}

# Number of perf-event attachments to sys_enter_getppid (bpftool perf show).
tp_attachments() {
    bpftool perf show 2>/dev/null | grep -c 'tracepoint  *sys_enter_getppid' || true
}

# Probes on syscall tracepoints held by processes other than the
# descendants of timeout wrapper $1 (if given): someone else tracing
# syscalls while we measure (e.g. a test suite running bpfsh) spoils the
# numbers.
descends_from() { # PID ANCESTOR
    local p=$1 k
    for ((k = 0; k < 5; k++)); do
        p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)
        [[ -z $p || $p == 0 || $p == 1 ]] && return 1
        [[ $p == "$2" ]] && return 0
    done
    return 1
}
foreign_probes() {
    local own=${1:-} n=0 p
    for p in $(bpftool perf show 2>/dev/null | awk '/sys_enter|sys_exit|getppid/ { print $2 }'); do
        [[ -n $own ]] && descends_from "$p" "$own" && continue
        n=$((n + 1))
    done
    echo "$n"
}

# Wait (up to 30 s) until nobody else has a probe on a syscall tracepoint.
wait_quiet() {
    local i
    for ((i = 0; i < 300; i++)); do
        (($(foreign_probes) == 0)) && return 0
        ((i == 0)) && say "waiting for other processes' syscall probes to go away: $(bpftool perf show 2>/dev/null | grep -E 'sys_enter|sys_exit' | tr -s ' ' | tr '\n' ';')"
        sleep 0.1
    done
    return 1
}

# --------------------------------------------------------------------------
# the workload

run_loop() { # prints ns/call of one run of getppid_loop, or nothing
    local v
    if [[ -n $CPU ]]; then
        v=$(timeout "$TMO" taskset -c "$CPU" "$OUT/getppid_loop" "$N") || return 1
    else
        v=$(timeout "$TMO" "$OUT/getppid_loop" "$N") || return 1
    fi
    is_num "$v" || return 1
    printf '%s' "$v"
}

# --------------------------------------------------------------------------
# build

build() {
    local btf=/sys/kernel/btf/vmlinux stamp
    stamp=$(stat -c '%s %Y' "$btf" 2>/dev/null; uname -r)
    if [[ ! -s $OUT/vmlinux.h || "$(cat "$OUT/vmlinux.h.stamp" 2>/dev/null)" != "$stamp" ]]; then
        say "build: vmlinux.h from $btf"
        bpftool btf dump file "$btf" format c >"$OUT/vmlinux.h.tmp" &&
            mv "$OUT/vmlinux.h.tmp" "$OUT/vmlinux.h" &&
            printf '%s' "$stamp" >"$OUT/vmlinux.h.stamp" || return 1
    fi
    if [[ ! -s $OUT/ref.bpf.o || $BENCH/ref.bpf.c -nt $OUT/ref.bpf.o || $OUT/vmlinux.h -nt $OUT/ref.bpf.o ]]; then
        say "build: ref.bpf.o"
        clang-19 -target bpf -O2 -g -D__TARGET_ARCH_x86 -I"$OUT" \
            -c "$BENCH/ref.bpf.c" -o "$OUT/ref.bpf.o" || return 1
    fi
    if [[ ! -x $OUT/ref || $BENCH/ref.c -nt $OUT/ref ]]; then
        say "build: ref"
        gcc -O2 -Wall -o "$OUT/ref" "$BENCH/ref.c" -lbpf || return 1
    fi
    if [[ ! -x $OUT/getppid_loop || $BENCH/getppid_loop.c -nt $OUT/getppid_loop ]]; then
        say "build: getppid_loop"
        gcc -O2 -Wall -o "$OUT/getppid_loop" "$BENCH/getppid_loop.c" || return 1
    fi
    if [[ ! -x $OUT/getppid_rate || $BENCH/getppid_rate.c -nt $OUT/getppid_rate ]]; then
        say "build: getppid_rate"
        gcc -O2 -Wall -o "$OUT/getppid_rate" "$BENCH/getppid_rate.c" || return 1
    fi
    if [[ ! -s $OUT/ref_print.bpf.o || $BENCH/ref_print.bpf.c -nt $OUT/ref_print.bpf.o ||
        $OUT/vmlinux.h -nt $OUT/ref_print.bpf.o ]]; then
        say "build: ref_print.bpf.o"
        clang-19 -target bpf -O2 -g -D__TARGET_ARCH_x86 -I"$OUT" \
            -c "$BENCH/ref_print.bpf.c" -o "$OUT/ref_print.bpf.o" || return 1
    fi
    if [[ ! -x $OUT/ref_print || $BENCH/ref_print.c -nt $OUT/ref_print ]]; then
        say "build: ref_print"
        gcc -O2 -Wall -o "$OUT/ref_print" "$BENCH/ref_print.c" -lbpf || return 1
    fi
}

bpfsh_start() { # TAG [env assignments...]
    local tag=$1
    shift
    MERGE_ERR=1 start_proc "$tag" env NO_COLOR=1 "$@" "$BPFSH"
}

# bpfsh_probe LINE SECS: sends a probe, waits for "attached"; sets
# ATTACH_MS (bpfsh's own "in X ms") and SEEN_MS (as the harness saw it)
bpfsh_probe() {
    local t0 t1 rc
    ATTACH_MS=n/a SEEN_MS=n/a
    t0=$(now)
    send "$1" || { log "bpfsh: stdin closed"; return 1; }
    ERR_RE='[Ee]rror:'
    wait_line ' attached: .* in [0-9.]+ ms' "$2"
    rc=$?
    ERR_RE=
    t1=$(now)
    if ((rc != 0)); then
        log "bpfsh: no 'attached' line for: $1 (${MATCH:-timeout/EOF})"
        return 1
    fi
    SEEN_MS=$(ms_between "$t0" "$t1")
    [[ $MATCH =~ \ in\ ([0-9.]+)\ ms ]] && ATTACH_MS=${BASH_REMATCH[1]}
    log "bpfsh: $ATTACH_MS ms reported, $SEEN_MS ms seen by the harness"
    is_num "$ATTACH_MS"
}

# --------------------------------------------------------------------------
# per-event cost
#
# One sample = a run with nothing attached, then the tool is started, a run
# with its probe attached, and the tool is stopped.  The tools take turns
# (C ref, bpftrace, bpfsh, C ref, ...; the order rotates each round) so that
# all of them see the same machine: this VM's syscall speed drifts between
# regimes lasting seconds (e.g. 170 vs 225 ns per getppid), so runs far
# apart in time are not comparable; adjacent ones mostly are.
#
#   cost of a tool = median over rounds of (attached run - baseline run)
#
# Each tool provides  <tool>_up MODE  (start, return 0 once attached) and
# <tool>_down MODE  (stop, wait for exit, append what it recorded to the
# log; return non-zero if it failed).

ref_up() {
    MERGE_ERR=0 start_proc "ref-$1" "$OUT/ref" "$1"
    wait_line '^ready$' 30
}
ref_down() {
    finish_proc 20
    log "  recorded: $(grep -o '[0-9]* events recorded' "$P_LOG" | tail -1)"
    return "$P_RC"
}

bpftrace_up() {
    local prog before i
    case $1 in
    count) prog="$TP { @[comm] = count(); }" ;;
    hist) prog="$TP { @h = hist(nsecs); }" ;;
    esac
    before=$(tp_attachments)
    MERGE_ERR=0 start_proc "bpftrace-$1" bpftrace -e "$prog"
    wait_line '^Attaching' 30 || return 1
    # bpftrace prints "Attaching" before it attaches: wait until the kernel
    # shows one more perf-event attachment on the tracepoint
    for ((i = 0; i < 200; i++)); do
        (($(tp_attachments) > before)) && return 0
        sleep 0.05
    done
    log "bpftrace: tracepoint never showed up in bpftool perf show"
    return 1
}
bpftrace_down() {
    kill -INT "$P_PID" 2>/dev/null     # timeout forwards it; bpftrace prints its maps and exits
    finish_proc 30
    [[ $1 == count ]] && log "  recorded: $(grep -o '@\[getppid_loop\]: [0-9]*' "$P_LOG" | tail -1)"
    return "$P_RC"
}

bpfsh_up() {
    bpfsh_start "bpfsh-$1"
    case $1 in
    count) send 'map c count<comm_t>' && bpfsh_probe "probe $TP { count(c, comm()); }" "$TMO" ;;
    hist) send 'map h hist' && bpfsh_probe "probe $TP { hist(h, nsecs()); }" "$TMO" ;;
    esac
}
bpfsh_down() {
    case $1 in
    count) send 'print c' ;;
    hist) send 'print h' ;;
    esac
    send quit
    finish_proc 30
    [[ $1 == count ]] && log "  recorded: $(grep -m1 'getppid_loop' "$P_LOG")"
    return "$P_RC"
}

# per_event MODE TOOL...: measures every TOOL in rounds; sets R[TOOL-MODE]
per_event() {
    local mode=$1 i j k t b a n note try
    shift
    local tools=("$@")
    declare -A diffs=() bases=() withs=() failed=()
    n=${#tools[@]}
    log "per-event $mode: $REPS rounds of $N calls per run, tools ${tools[*]} (expected $N events per attached run)"
    for ((i = 0; i < REPS; i++)); do
        for ((j = 0; j < n; j++)); do
            t=${tools[(i + j) % n]}     # rotate the order from round to round
            # a round during which someone else traced syscalls is retried
            for ((try = 1; try <= 3; try++)); do
                [[ -n ${failed[$t]:-} ]] && break
                note=
                wait_quiet || note=" (OTHER SYSCALL PROBES ATTACHED)"
                b=$(run_loop) || { failed[$t]=1; log "  workload failed"; break; }
                (($(foreign_probes) == 0)) || note=" (OTHER SYSCALL PROBES ATTACHED)"
                if ! "${t}_up" "$mode"; then
                    say "$t $mode: probe did not attach (see $P_LOG)"
                    "${t}_down" "$mode"
                    failed[$t]=1
                    break
                fi
                (($(foreign_probes "$P_PID") == 0)) || note=" (OTHER SYSCALL PROBES ATTACHED)"
                a=$(run_loop) || { failed[$t]=1; log "  workload failed"; }
                (($(foreign_probes "$P_PID") == 0)) || note=" (OTHER SYSCALL PROBES ATTACHED)"
                if ! "${t}_down" "$mode"; then
                    say "$t $mode: exited with status $P_RC (see $P_LOG)"
                    failed[$t]=1
                fi
                [[ -n ${failed[$t]:-} ]] && break
                k=$(sub "$a" "$b")
                log "  round $((i + 1)) $t: nothing $b, attached $a ns/call, difference $k$note"
                [[ -z $note ]] && break
                ((try < 3)) && log "  (retrying round $((i + 1)) for $t)"
            done
            [[ -n ${failed[$t]:-} ]] && continue
            bases[$t]+=" $b" withs[$t]+=" $a" diffs[$t]+=" $k"
            [[ -n $note ]] && ((CONTAMINATED++))
        done
    done
    for t in "${tools[@]}"; do
        R[$t-$mode]=n/a
        [[ -n ${failed[$t]:-} ]] && continue
        # shellcheck disable=SC2086
        R[$t-$mode]=$(median ${diffs[$t]})
        # shellcheck disable=SC2086
        log "  => $t $mode: cost $(median ${diffs[$t]}) ns (median of differences;" \
            "baseline median $(median ${bases[$t]}), attached median $(median ${withs[$t]}))"
    done
}

# --------------------------------------------------------------------------
# start-up latency

startup_ref() { # sets REF_START (median ms exec -> "ready"), REF_RSS (MB)
    local vals=() t0 t1 i
    for ((i = 0; i < NSTARTS; i++)); do
        t0=$(now)
        MERGE_ERR=0 start_proc "ref-start" "$OUT/ref" count
        if wait_line '^ready$' 30; then
            t1=$(now)
            vals+=("$(ms_between "$t0" "$t1")")
            ((i == 0)) && REF_RSS=$(kb_to_mb "$(proc_kb "$(child_of "$P_PID")" VmRSS)")
        fi
        finish_proc 20
    done
    log "C ref start->ready ms: ${vals[*]:-none}; VmRSS once attached: $REF_RSS MB"
    REF_START=$(median "${vals[@]}")
}

startup_bpftrace() { # sets BT_START (median ms start -> exit)
    local vals=() t0 t1 i
    for ((i = 0; i < NSTARTS; i++)); do
        t0=$(now)
        if timeout "$TMO" bpftrace -e "$TP { @[comm] = count(); } interval:ms:1 { exit(); }" \
            >>"$LOGDIR/bpftrace-start.log" 2>&1; then
            t1=$(now)
            vals+=("$(ms_between "$t0" "$t1")")
        fi
    done
    log "bpftrace start->exit ms: ${vals[*]:-none}"
    BT_START=$(median "${vals[@]}")
}

startup_bpfsh() { # sets SH_WARM SH_CACHE SH_COLD SH_COLD_OWN SH_WARM_START
    local warm=() seen_warm=() cached=() seen_cached=() base i body first t0 t1
    SH_WARM=n/a SH_CACHE=n/a SH_COLD=n/a SH_COLD_OWN=n/a SH_WARM_START=n/a
    # a constant unique to this run, so earlier runs' objects are not reused
    base=$((1000000 + ($(date +%s) % 100000) * 100))

    t0=$(now)
    bpfsh_start bpfsh-warm
    if send 'map c count<comm_t>'; then
        for ((i = 1; i <= NPROBES; i++)); do
            body="{ count(c, comm()); if (pid() == $((base + i))) return 0; }"
            ((i == 1)) && first=$body
            bpfsh_probe "probe $TP $body" "$TMO" || break
            ((i == 1)) && SH_WARM_START=$(ms_between "$t0" "$(now)")
            warm+=("$ATTACH_MS")
            seen_warm+=("$SEEN_MS")
        done
        if ((${#warm[@]} == NPROBES)); then
            for ((i = 1; i <= NPROBES; i++)); do
                bpfsh_probe "probe $TP $first" "$TMO" || break
                cached+=("$ATTACH_MS")
                seen_cached+=("$SEEN_MS")
            done
        fi
    fi
    send quit
    finish_proc 60
    log "bpfsh warm ms: ${warm[*]:-none} (harness saw ${seen_warm[*]:-none})"
    log "bpfsh cached ms: ${cached[*]:-none} (harness saw ${seen_cached[*]:-none})"
    log "bpfsh process start -> first probe attached, warm cache: $SH_WARM_START ms"
    ((${#warm[@]} == NPROBES)) && SH_WARM=$(median "${warm[@]}")
    ((${#cached[@]} == NPROBES)) && SH_CACHE=$(median "${cached[@]}")

    # cold: bpfsh's own number may leave out work done before the probe
    # (generating vmlinux.h, the precompiled prelude), so the table shows
    # the wall time from starting bpfsh to the "attached" line
    local cold=$TMP/cold-cache
    mkdir -p "$cold"
    t0=$(now)
    bpfsh_start bpfsh-cold XDG_CACHE_HOME="$cold"
    if send 'map c count<comm_t>' &&
        bpfsh_probe "probe $TP { count(c, comm()); if (pid() == $((base + 999))) return 0; }" "$TMO"; then
        t1=$(now)
        SH_COLD=$(ms_between "$t0" "$t1")
        SH_COLD_OWN=$ATTACH_MS
        log "bpfsh cold cache: start -> attached $SH_COLD ms; bpfsh reported $ATTACH_MS ms"
    else
        say "bpfsh cold cache: probe did not attach (see $P_LOG)"
    fi
    send quit
    finish_proc 60
    rm -rf "$cold"
}


# --------------------------------------------------------------------------
# start to quit, idle memory

child_of() { # the process a timeout wrapper runs (first child of PID)
    pgrep -P "$1" 2>/dev/null | head -1
}
proc_kb() { # PID FIELD -> kB value of FIELD (VmRSS, VmHWM) in /proc/PID/status
    [[ -n ${1:-} ]] || return 0
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}
kb_to_mb() {
    if is_num "${1:-}"; then awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; else echo n/a; fi
}

# quit_times NAME CMD... : wall time of CMD with 'quit' on stdin, $NQUITS
# times; sets QUIT_MS (median) or n/a when a run failed
quit_times() {
    local name=$1 vals=() t0 t1 i rc
    shift
    QUIT_MS=n/a
    for ((i = 0; i < NQUITS; i++)); do
        t0=$(now)
        printf 'quit\n' | timeout "$TMO" "$@" >>"$LOGDIR/$name-quit.log" 2>&1
        rc=$?
        t1=$(now)
        if ((rc != 0)); then
            say "$name: start-to-quit run exited with status $rc (see $LOGDIR/$name-quit.log)"
            return 1
        fi
        vals+=("$(ms_between "$t0" "$t1")")
    done
    log "$name start to quit ms: ${vals[*]}"
    QUIT_MS=$(median "${vals[@]}")
}

# peak_rss_kb CMD... : peak RSS in kB of CMD (stdin 'quit'), printed
peak_rss_kb() {
    local f=$TMP/peak-rss pid child kb best=
    if [[ -x /usr/bin/time ]]; then
        rm -f "$f"
        printf 'quit\n' | timeout "$TMO" /usr/bin/time -f '%M' -o "$f" "$@" >>"$LOGDIR/peak-rss.log" 2>&1
        kb=$(tail -1 "$f" 2>/dev/null)
        is_num "$kb" && printf '%s' "$kb"
        return 0
    fi
    # no GNU time: poll VmHWM while it runs
    printf 'quit\n' | timeout "$TMO" "$@" >>"$LOGDIR/peak-rss.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    while kill -0 "$pid" 2>/dev/null; do
        child=$(child_of "$pid")
        kb=$(proc_kb "$child" VmHWM)
        is_num "$kb" && { [[ -z $best ]] || ((kb > best)); } && best=$kb
        sleep 0.005
    done
    wait "$pid"
    forget "$pid"
    printf '%s' "$best"
}

startup_idle_bpfsh() { # sets SH_QUIT (ms), SH_RSS SH_HWM SH_PEAK (MB)
    local pid
    SH_QUIT=n/a SH_RSS=n/a SH_HWM=n/a SH_PEAK=n/a
    quit_times bpfsh env NO_COLOR=1 "$BPFSH"
    SH_QUIT=$QUIT_MS
    SH_PEAK=$(kb_to_mb "$(peak_rss_kb env NO_COLOR=1 "$BPFSH")")
    # idle: stdin an open FIFO, 1 s for the background compiler warm-up
    bpfsh_start bpfsh-idle
    sleep 1
    pid=$(child_of "$P_PID")
    if [[ -n $pid ]]; then
        SH_RSS=$(kb_to_mb "$(proc_kb "$pid" VmRSS)")
        SH_HWM=$(kb_to_mb "$(proc_kb "$pid" VmHWM)")
    fi
    send quit
    finish_proc 30
    ((P_RC == 0)) || say "bpfsh idle: exited with status $P_RC (see $P_LOG)"
    log "bpfsh start to quit median $SH_QUIT ms; idle VmRSS $SH_RSS MB, VmHWM $SH_HWM MB; peak RSS of 'quit' run $SH_PEAK MB"
}

startup_idle_bpftrace() { # sets BT_QUIT (ms), BT_PEAK (MB)
    BT_QUIT=n/a BT_PEAK=n/a
    quit_times bpftrace bpftrace -e 'BEGIN { exit(); }'
    BT_QUIT=$QUIT_MS
    BT_PEAK=$(kb_to_mb "$(peak_rss_kb bpftrace -e 'BEGIN { exit(); }')")
    log "bpftrace 'BEGIN { exit(); }' median $BT_QUIT ms, peak RSS $BT_PEAK MB"
}

# --------------------------------------------------------------------------
# print() streaming
#
# One step: start bench/getppid_rate paused (it prints its pid and waits for
# a byte on a FIFO), start the tool with a probe filtered on that pid and its
# stdout in a file on $SINK, release the workload, wait for it, let the tool
# drain, stop it, then count the lines the tool wrote for that pid and the
# records it reported lost.  The workload's call count is exact, so
#   lines == calls and lost == 0   at a steady rate means nothing was dropped
#   lines + lost == calls          under overload means loss is counted exactly

cpu_ticks() { # utime + stime of PID (all threads), in clock ticks
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }
    # shellcheck disable=SC2086
    set -- $st
    printf '%s' "$((${12} + ${13}))"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# wait_file FILE RE SECS [PID]: until the last 64 KiB of FILE have a line
# matching RE; 0 = found, 1 = timeout or PID gone, 2 = an error line showed up
# in $WF_ERR (if set)
wait_file() {
    local deadline=$((SECONDS + $3))
    while ((SECONDS <= deadline)); do
        # (no grep -q: with pipefail, tail dying of EPIPE would hide the match)
        tail -c 65536 "$1" 2>/dev/null | grep -E "$2" >/dev/null && return 0
        [[ -n ${WF_ERR:-} ]] && grep -qE '[Ee]rror:' "$WF_ERR" 2>/dev/null && return 2
        [[ -n ${4:-} ]] && ! kill -0 "$4" 2>/dev/null && return 1
        sleep 0.02
    done
    return 1
}

# stop_pid PID SECS: waits for our child PID to exit, TERM then KILL after
# SECS; sets W_RC
stop_pid() {
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$1" 2>/dev/null; then
        log "[stop] pid $1 still running after $2 s, sending TERM"
        kill -TERM "$1" 2>/dev/null
        sleep 1
        kill -KILL "$1" 2>/dev/null
    fi
    wait "$1"
    W_RC=$?
    forget "$1"
}

# wait_stable FILE SECS: until FILE has not grown for 0.3 s (at most SECS)
wait_stable() {
    local deadline=$((SECONDS + $2)) last=-1 size same=0
    while ((SECONDS <= deadline && same < 3)); do
        size=$(stat -c %s "$1" 2>/dev/null || echo 0)
        if [[ $size == "$last" ]]; then same=$((same + 1)); else same=0; fi
        last=$size
        sleep 0.1
    done
}

sum_numbers() { tr -d ",_' " | awk '{ s += $1 } END { printf "%d", s }'; }

# stream_step TOOL RATE SECS [MAXCALLS]: one run (RATE 0 = unpaced); with
# ST_STALL=S set, the tool's process is stopped (SIGSTOP) for S seconds from
# 0.3 s after the workload starts, so that the ring buffer overflows; sets
# ST_CALLS ST_SECS ST_RATE (achieved calls/s) ST_LINES ST_LOST ST_CPU
# (consumer CPU s from attach to drained) and ST_FAIL (empty when the step
# ran cleanly)
stream_step() {
    local tool=$1 rate=$2 secs=$3 max=${4:-} tag wout sout serr go gofd infd=
    local wpid tpid cpid w c0 c1 res rc
    tag=stream-$tool-$rate${ST_STALL:+-stalled}
    wout=$TMP/$tag.w sout=$SINK/$tag.out serr=$LOGDIR/$tag.err go=$TMP/$tag.go
    ST_CALLS=n/a ST_SECS=n/a ST_RATE=n/a ST_LINES=n/a ST_LOST=n/a ST_CPU=n/a ST_FAIL=
    : >"$serr"
    rm -f "$go" "$sout"
    (($(foreign_probes) == 0)) || ST_NOTE=" (OTHER SYSCALL PROBES ATTACHED)"

    mkfifo "$go"
    if [[ -n $CPU ]]; then
        timeout "$TMO" taskset -c "$CPU" "$OUT/getppid_rate" "$rate" "$secs" $max <"$go" >"$wout" 2>>"$serr" &
    else
        timeout "$TMO" "$OUT/getppid_rate" "$rate" "$secs" $max <"$go" >"$wout" 2>>"$serr" &
    fi
    wpid=$!
    PIDS+=("$wpid")
    exec {gofd}>"$go"
    if wait_file "$wout" '^pid [0-9]+$' 10 "$wpid"; then
        w=$(sed -n 's/^pid \([0-9]*\)$/\1/p' "$wout")
    else
        ST_FAIL="workload did not start"
    fi

    if [[ -z $ST_FAIL ]]; then
        case $tool in
        bpfsh)
            rm -f "$TMP/$tag.in"
            mkfifo "$TMP/$tag.in"
            timeout "$TMO" env NO_COLOR=1 "$BPFSH" <"$TMP/$tag.in" >"$sout" 2>>"$serr" &
            tpid=$!
            PIDS+=("$tpid")
            exec {infd}>"$TMP/$tag.in"
            printf '%s\n' "probe $TP { if (pid() == $w) print(\"%d %llu\\n\", pid(), nsecs()); }" >&"$infd"
            WF_ERR=$serr wait_file "$sout" ' attached: .* in [0-9.]+ ms' "$TMO" "$tpid" ||
                ST_FAIL="probe did not attach"
            ;;
        ref)
            timeout "$TMO" "$OUT/ref_print" "$w" batch </dev/null >"$sout" 2>>"$serr" &
            tpid=$!
            PIDS+=("$tpid")
            wait_file "$sout" '^ready$' 30 "$tpid" || ST_FAIL="ref_print did not attach"
            ;;
        bpftrace)
            local before i
            before=$(tp_attachments)
            timeout "$TMO" bpftrace -e "$TP /pid == $w/ { printf(\"%d %llu\\n\", pid, nsecs); }" \
                </dev/null >"$sout" 2>>"$serr" &
            tpid=$!
            PIDS+=("$tpid")
            ST_FAIL="bpftrace did not attach"
            for ((i = 0; i < 600; i++)); do
                (($(tp_attachments) > before)) && { ST_FAIL=; break; }
                kill -0 "$tpid" 2>/dev/null || break
                sleep 0.05
            done
            ;;
        esac
    fi
    cpid=
    [[ -n ${tpid:-} ]] && cpid=$(child_of "$tpid")
    c0=
    [[ -n $cpid ]] && c0=$(cpu_ticks "$cpid")

    if [[ -z $ST_FAIL ]]; then
        if [[ $tool == bpfsh ]]; then
            # run outlasts the workload; streaming starts with it
            printf 'run %ss\n' "$(awk -v s="$secs" 'BEGIN { print s + 1 }')" >&"$infd"
            sleep 0.3
        fi
        printf g >&"$gofd"
    fi
    exec {gofd}>&-       # without the byte, EOF: the workload exits at once
    if [[ -z $ST_FAIL && -n ${ST_STALL:-} && -n $cpid ]]; then
        sleep 0.3
        kill -STOP "$cpid" 2>/dev/null
        sleep "$ST_STALL"
        kill -CONT "$cpid" 2>/dev/null
        log "  ($tool pid $cpid stopped for $ST_STALL s)"
    fi
    stop_pid "$wpid" $((${secs%.*} + 30))
    res=$(tail -1 "$wout")
    if [[ -z $ST_FAIL && $res =~ ^calls\ ([0-9]+)\ ns\ ([0-9]+)\ rate\ ([0-9]+)$ ]]; then
        ST_CALLS=${BASH_REMATCH[1]}
        ST_SECS=$(awk -v n="${BASH_REMATCH[2]}" 'BEGIN { printf "%.3f", n / 1e9 }')
        ST_RATE=${BASH_REMATCH[3]}
    elif [[ -z $ST_FAIL ]]; then
        ST_FAIL="workload failed (status $W_RC)"
    fi

    if [[ -n ${tpid:-} ]]; then
        case $tool in
        bpfsh)
            # drain what is left, then a marker whose output shows the runs are over
            printf 'run 300ms\nmap bench_done count<u32>\n' >&"$infd" 2>/dev/null
            wait_file "$sout" '^map bench_done' $((${secs%.*} + 15)) "$tpid" ||
                [[ -n $ST_FAIL ]] || ST_FAIL="bpfsh did not finish the run"
            c1=
            [[ -n $cpid ]] && c1=$(cpu_ticks "$cpid")
            printf 'quit\n' >&"$infd" 2>/dev/null
            exec {infd}>&-
            stop_pid "$tpid" 30
            ;;
        *)
            wait_stable "$sout" 10
            c1=
            [[ -n $cpid ]] && c1=$(cpu_ticks "$cpid")
            kill -INT "$tpid" 2>/dev/null   # timeout passes it on
            stop_pid "$tpid" 30
            ;;
        esac
        rc=$W_RC
        ((rc == 0)) || [[ -n $ST_FAIL ]] || ST_FAIL="$tool exited with status $rc"
    elif [[ -n $infd ]]; then
        exec {infd}>&-
    fi
    rm -f "$go" "$TMP/$tag.in"

    if [[ -n ${w:-} && -f $sout ]]; then
        ST_LINES=$(grep -c "^$w [0-9][0-9]*\$" "$sout")
        case $tool in
        bpfsh) ST_LOST=$(grep -o 'warning: [0-9][0-9,_'"'"']* print() records lost' "$serr" |
            sed 's/^warning: //; s/ print.*//' | sum_numbers) ;;
        ref) ST_LOST=$(sed -n 's/.*records written, \([0-9]*\) lost.*/\1/p' "$serr" | sum_numbers) ;;
        bpftrace) ST_LOST=$(cat "$sout" "$serr" | grep -o 'Lost [0-9][0-9]* events' |
            awk '{ print $2 }' | sum_numbers) ;;
        esac
        # keep what is not an event line (attach messages, warnings) in the logs
        grep -v "^$w [0-9][0-9]*\$" "$sout" | head -50 >>"$LOGDIR/$tag.log"
    fi
    if is_num "${c0:-}" && is_num "${c1:-}"; then
        ST_CPU=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    fi
    rm -f "$sout"
    log "  $tool rate ${rate:-0}/s${ST_STALL:+ (reader stopped ${ST_STALL} s)}: calls $ST_CALLS in $ST_SECS s (achieved $ST_RATE/s)," \
        "lines $ST_LINES, lost $ST_LOST, consumer CPU $ST_CPU s${ST_FAIL:+, FAILED: $ST_FAIL}${ST_NOTE:-}"
    [[ -n ${ST_NOTE:-} ]] && ((STREAM_CONTAMINATED++))
    ST_NOTE=
}

# stream_tool TOOL: steady rates, then overload; sets
#   R[TOOL-zl]    highest rate (events/s) that passed, 0 if none
#   R[TOOL-zlwhy] why the next rate failed
#   R[TOOL-ovl]   overload drained events/s (lines / workload seconds)
#   R[TOOL-exact] "exact" or "off N" (lines + lost - calls), in the overload
#                 run and in a run whose reader is stopped for 0.5 s
#   R[TOOL-cpu]   consumer CPU ns per line in the overload run
stream_tool() {
    local tool=$1 rate best=0 why="passed every rate" off try
    say "print() streaming: $tool at ${PRINT_RATES// /, } events/s, ${PRINT_SECS} s each, then unpaced"
    for rate in $PRINT_RATES; do
        # a run where only the workload fell short (no loss) is tried once
        # more: the VM's syscall speed drifts
        for try in 1 2; do
            stream_step "$tool" "$rate" "$PRINT_SECS"
            [[ -z $ST_FAIL && $ST_LOST == 0 && $ST_LINES == "$ST_CALLS" ]] &&
                awk -v a="$ST_RATE" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }' || break
            ((try == 1)) && log "  (workload short of $rate/s: trying once more)"
        done
        if [[ -n $ST_FAIL ]]; then
            why="at $rate/s the step failed: $ST_FAIL"
            say "print() $tool: $why (see $LOGDIR/stream-$tool-$rate.*)"
            break
        fi
        if ! is_num "$ST_LOST" || ! is_num "$ST_LINES" || ! is_num "$ST_CALLS" ||
            ((ST_LOST != 0 || ST_LINES != ST_CALLS)); then
            why="at $rate/s: $ST_LOST lost, $ST_LINES lines for $ST_CALLS calls"
            break
        fi
        if awk -v a="$ST_RATE" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }'; then
            why="at $rate/s the workload reached only $ST_RATE/s with the probe on (nothing lost)"
            break
        fi
        best=$rate
    done
    R[$tool-zl]=$best
    R[$tool-zlwhy]=$why
    log "  => $tool: highest zero-loss rate $best/s; $why"

    stream_step "$tool" 0 "$PRINT_SECS" "$PRINT_N"
    R[$tool-ovl]=n/a R[$tool-exact]=n/a R[$tool-cpu]=n/a R[$tool-ovlrate]=n/a
    if [[ -z $ST_FAIL ]]; then
        R[$tool-ovl]=$(awk -v l="$ST_LINES" -v s="$ST_SECS" 'BEGIN { printf "%.0f", l / s }')
        R[$tool-ovlrate]=$ST_RATE
        off=$((ST_LINES + ST_LOST - ST_CALLS))
        if ((off == 0)); then R[$tool-exact]=exact; else R[$tool-exact]="off $off"; fi
        is_num "$ST_CPU" && ((ST_LINES > 0)) &&
            R[$tool-cpu]=$(awk -v c="$ST_CPU" -v l="$ST_LINES" 'BEGIN { printf "%.0f", c * 1e9 / l }')
        R[$tool-ovlnote]="$ST_CALLS calls in $ST_SECS s, $ST_LINES lines, $ST_LOST lost"
    else
        say "print() $tool overload: $ST_FAIL"
        R[$tool-ovlnote]="failed: $ST_FAIL"
    fi
    log "  => $tool overload: ${R[$tool-ovlnote]}; drained ${R[$tool-ovl]}/s; count ${R[$tool-exact]};" \
        "consumer CPU ${R[$tool-cpu]} ns per line"

    # loss must happen to be counted: stop the reader for a moment
    ST_STALL=0.5 stream_step "$tool" 0 "$PRINT_SECS" "$PRINT_N"
    if [[ -z $ST_FAIL ]]; then
        off=$((ST_LINES + ST_LOST - ST_CALLS))
        R[$tool-stallnote]="$ST_CALLS calls, $ST_LINES lines, $ST_LOST lost"
        if ((off != 0)); then
            R[$tool-exact]="off $off"
        elif ((ST_LOST == 0)); then
            R[$tool-stallnote]+=" (nothing lost: loss counting not exercised)"
        fi
    else
        say "print() $tool with the reader stopped: $ST_FAIL"
        R[$tool-exact]=n/a
        R[$tool-stallnote]="failed: $ST_FAIL"
    fi
    log "  => $tool with the reader stopped 0.5 s: ${R[$tool-stallnote]}; count ${R[$tool-exact]}"
}

# --------------------------------------------------------------------------
# main

prog_ids() { bpftool prog show 2>/dev/null | sed -n 's/^\([0-9][0-9]*\): .*/\1/p' | sort -n; }
map_ids() { bpftool map show 2>/dev/null | sed -n 's/^\([0-9][0-9]*\): .*/\1/p' | sort -n; }

if ((EUID != 0)); then
    echo "bench: needs root (BPF and tracefs)" >&2
    exit 1
fi
for tool in clang-19 gcc bpftool timeout taskset awk; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
if [[ -n $CPU ]] && ! taskset -c "$CPU" true 2>/dev/null; then
    say "bench: cannot pin to CPU $CPU, not pinning"
    CPU=
fi

build || { echo "bench: build failed" >&2; exit 1; }

PROGS_BEFORE=$(prog_ids)
MAPS_BEFORE=$(map_ids)

HAVE_BT=1
command -v bpftrace >/dev/null || { HAVE_BT=0; say "bpftrace not found: its column is n/a"; }
skipped bpftrace && HAVE_BT=0
HAVE_SH=1
if [[ ! -x $BPFSH ]]; then
    HAVE_SH=0
    say "bpfsh not found at $BPFSH: its column is n/a"
fi
skipped bpfsh && HAVE_SH=0

say "bench: $N getppid calls per run, $REPS rounds, workload CPU ${CPU:-any}; log in $LOG"

declare -A R
CONTAMINATED=0
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
TOOLS=(ref)
((HAVE_BT)) && TOOLS+=(bpftrace)
((HAVE_SH)) && TOOLS+=(bpfsh)
if ! skipped perevent; then
    for mode in count hist; do
        say "per-event $mode: ${TOOLS[*]}"
        per_event "$mode" "${TOOLS[@]}"
    done
fi

REF_START=n/a BT_START=n/a SH_WARM=n/a SH_CACHE=n/a SH_COLD=n/a SH_COLD_OWN=n/a SH_WARM_START=n/a
REF_RSS=n/a SH_QUIT=n/a SH_RSS=n/a SH_HWM=n/a SH_PEAK=n/a BT_QUIT=n/a BT_PEAK=n/a
if ! skipped startup; then
    say "start-up: C reference"
    startup_ref
    if ((HAVE_BT)); then
        say "start-up: bpftrace"
        startup_bpftrace
        startup_idle_bpftrace
    fi
    if ((HAVE_SH)); then
        say "start-up: bpfsh"
        startup_bpfsh
        startup_idle_bpfsh
    fi
fi

STREAM_CONTAMINATED=0
if ! skipped print; then
    wait_quiet || say "print(): other processes keep BPF probes on syscall tracepoints; measuring anyway"
    stream_tool ref
    ((HAVE_BT)) && stream_tool bpftrace
    ((HAVE_SH)) && stream_tool bpfsh
fi

# --------------------------------------------------------------------------
# leftovers: nothing we started may keep a program or map in the kernel

# ids of programs and maps that live processes hold (all of ours have
# exited by now, so these belong to someone else, e.g. a concurrent test)
held_progs() {
    {
        grep -h '^prog_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{ print $2 }'
        bpftool perf show 2>/dev/null | sed -n 's/.*prog_id \([0-9]*\).*/\1/p'
    } | sort -u
}
held_maps() {
    local p
    {
        grep -h '^map_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '{ print $2 }'
        for p in $(held_progs); do
            bpftool prog show id "$p" 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' '\n'
        done
    } | sort -u
}
leftover() { # BEFORE-ids NOW-ids HELD-ids -> ids only in NOW and not held
    comm -23 <(comm -13 <(printf '%s\n' "$1" | sort) <(printf '%s\n' "$2" | sort)) \
        <(printf '%s\n' "$3" | sort) | grep . | tr '\n' ' '
}
LEFT_PROGS= LEFT_MAPS=
for ((i = 0; i < 50; i++)); do      # releases can lag behind exit a little
    LEFT_PROGS=$(leftover "$PROGS_BEFORE" "$(prog_ids)" "$(held_progs)")
    LEFT_MAPS=$(leftover "$MAPS_BEFORE" "$(map_ids)" "$(held_maps)")
    [[ -z $LEFT_PROGS && -z $LEFT_MAPS ]] && break
    sleep 0.1
done

# --------------------------------------------------------------------------
# report

v() { local x=${R[$1]:-n/a}; printf '%s' "$x"; }
kev() { if is_num "$1"; then awk -v a="$1" 'BEGIN { printf "%.1f", a / 1000 }'; else printf '%s' "$1"; fi; }
f1() { if is_num "$1"; then awk -v a="$1" 'BEGIN { printf "%.1f", a }'; else printf '%s' "$1"; fi; }
row() { printf '%-32s %9s %9s %9s %9s %11s   %s\n' "$1" "$(f1 "$2")" "$(f1 "$3")" "$(f1 "$4")" "$5" "$6" "$7"; }
{
    echo
    row measure bpfsh "C ref" bpftrace bpfsh/C bpftrace/C target
    row "per-event count (ns)" "$(v bpfsh-count)" "$(v ref-count)" "$(v bpftrace-count)" \
        "$(ratio "$(v bpfsh-count)" "$(v ref-count)")" "$(ratio "$(v bpftrace-count)" "$(v ref-count)")" "bpfsh/C <= 1.05"
    row "per-event hist (ns)" "$(v bpfsh-hist)" "$(v ref-hist)" "$(v bpftrace-hist)" \
        "$(ratio "$(v bpfsh-hist)" "$(v ref-hist)")" "$(ratio "$(v bpftrace-hist)" "$(v ref-hist)")" "bpfsh/C <= 1.05"
    row "enter->attached warm median ms" "$SH_WARM" "$REF_START" "$BT_START" \
        "$(ratio "$SH_WARM" "$REF_START")" "$(ratio "$BT_START" "$REF_START")" "<= 50 ms"
    row "same probe again (cache) ms" "$SH_CACHE" "-" "-" "-" "-" "<= 5 ms"
    row "first probe, cold cache ms" "$SH_COLD" "-" "-" "-" "-" "<= 3000 ms (start->attached)"
    row "start to quit ms" "$SH_QUIT" "-" "$BT_QUIT" "-" "-" "< 100 ms"
    row "idle RSS MB" "$SH_RSS" "$REF_RSS" "$BT_PEAK" "-" "-" "< 50 MB"
    if ! skipped print; then
        row "print() zero-loss k ev/s" "$(kev "$(v bpfsh-zl)")" "$(kev "$(v ref-zl)")" "$(kev "$(v bpftrace-zl)")" \
            "$(ratio "$(v bpfsh-zl)" "$(v ref-zl)")" "$(ratio "$(v bpftrace-zl)" "$(v ref-zl)")" ">= 1000 k/s drained"
        row "print() overload drained k ev/s" "$(kev "$(v bpfsh-ovl)")" "$(kev "$(v ref-ovl)")" "$(kev "$(v bpftrace-ovl)")" \
            "$(ratio "$(v bpfsh-ovl)" "$(v ref-ovl)")" "$(ratio "$(v bpftrace-ovl)" "$(v ref-ovl)")" "-"
        row "print() lost counted exactly" "$(v bpfsh-exact)" "$(v ref-exact)" "$(v bpftrace-exact)" "-" "-" \
            "lines+lost = calls"
        row "print() reader CPU ns/line" "$(v bpfsh-cpu)" "$(v ref-cpu)" "$(v bpftrace-cpu)" \
            "$(ratio "$(v bpfsh-cpu)" "$(v ref-cpu)")" "$(ratio "$(v bpftrace-cpu)" "$(v ref-cpu)")" "-"
    fi
    echo
    echo "per-event = ns per getppid with the probe attached minus with nothing attached"
    echo "  ($N calls per run, median over $REPS rounds of attached run - baseline run,"
    echo "  taken in turns with the other tools, tool restarted per run, CPU ${CPU:-any})."
    echo "start-up references: C ref = exec to \"ready\" (open, load, attach);"
    echo "  bpftrace = start to exit of '$TP { @[comm] = count(); } interval:ms:1 { exit(); }';"
    echo "  both medians of $NSTARTS."
    ((HAVE_SH)) && echo "bpfsh: warm and cache rows are bpfsh's own \"in X ms\" (medians of $NPROBES); cold row = wall"
    ((HAVE_SH)) && echo "  time from starting bpfsh with an empty XDG_CACHE_HOME to its \"attached\" line (bpfsh"
    ((HAVE_SH)) && echo "  itself said $SH_COLD_OWN ms); start -> first probe attached with a warm cache: $SH_WARM_START ms."
    echo "start to quit: wall time of \`printf 'quit\\n' | bpfsh\` and of \`bpftrace -e 'BEGIN { exit(); }'\`, medians"
    echo "  of $NQUITS. idle RSS: bpfsh's VmRSS 1 s after start with stdin open (VmHWM $SH_HWM MB; peak"
    echo "  of the 'quit' run $SH_PEAK MB); C ref: VmRSS of 'ref count' once attached; bpftrace: peak RSS"
    echo "  of 'BEGIN { exit(); }'."
    if ! skipped print; then
        echo "print(): getppid_rate on CPU ${CPU:-any} at ${PRINT_RATES// /, }/s for $PRINT_SECS s each, one line per"
        echo "  call (\"%d %llu\\n\", pid, nsecs) into a file on $(df --output=fstype "$SINK" 2>/dev/null | tail -1);"
        echo "  zero-loss = highest rate with lines == calls, nothing reported lost and >= 95 % of the"
        echo "  rate reached with the probe on. C ref = bench/ref_print (libbpf ring buffer, 64 KiB stdio"
        echo "  buffer, kernel wakes it per 1 MiB of records). Overload = unpaced, <= $PRINT_N calls;"
        echo "  lost counted exactly = lines + lost == calls in the overload run and in one more where"
        echo "  the reader is stopped (SIGSTOP) for 0.5 s so that records must be lost."
        for t in bpfsh ref bpftrace; do
            [[ -n ${R[$t-zlwhy]:-} ]] || continue
            echo "  $t: ${R[$t-zlwhy]}; overload ${R[$t-ovlnote]:-n/a};"
            echo "    reader stopped 0.5 s: ${R[$t-stallnote]:-n/a}"
        done
    fi
    echo "load average: $LOAD_START at start, $(cut -d' ' -f1 /proc/loadavg) at end (the workload alone makes about 1)"
    if ((CONTAMINATED)); then
        echo "WARNING: in $CONTAMINATED rounds (after 3 tries each) another process had a BPF probe"
        echo "  on a syscall tracepoint;"
        echo "  the per-event numbers are not reliable (see $LOG)"
    fi
    if ((STREAM_CONTAMINATED)); then
        echo "WARNING: in $STREAM_CONTAMINATED print() runs another process had a BPF probe on a syscall"
        echo "  tracepoint (it may run on every getppid call); the print() numbers are not reliable"
    fi
    if [[ -z $LEFT_PROGS && -z $LEFT_MAPS ]]; then
        echo "leftovers: none (bpftool prog/map show list nothing new)"
    else
        echo "LEFTOVERS: programs [${LEFT_PROGS}] maps [${LEFT_MAPS}] still loaded after the run"
    fi
    echo "details: $LOG, $LOGDIR/"
} | tee "$OUT/results.txt"
cat "$OUT/results.txt" >>"$LOG"

[[ -z $LEFT_PROGS && -z $LEFT_MAPS ]] || exit 1
skipped perevent || { is_num "$(v ref-count)" && is_num "$(v ref-hist)"; } || exit 1
exit 0
