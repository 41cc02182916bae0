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
#   BENCH_SKIP     space-separated parts to skip: bpftrace bpfsh startup

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

TP=tracepoint:syscalls:sys_enter_getppid

mkdir -p "$OUT" "$LOGDIR"
LOG=$OUT/bench.log
: >"$LOG"
TMP=$(mktemp -d /tmp/bpfsh-bench.XXXXXX)

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

startup_ref() { # sets REF_START (median ms exec -> "ready")
    local vals=() t0 t1 i
    for ((i = 0; i < NSTARTS; i++)); do
        t0=$(now)
        MERGE_ERR=0 start_proc "ref-start" "$OUT/ref" count
        if wait_line '^ready$' 30; then
            t1=$(now)
            vals+=("$(ms_between "$t0" "$t1")")
        fi
        finish_proc 20
    done
    log "C ref start->ready ms: ${vals[*]:-none}"
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
for mode in count hist; do
    say "per-event $mode: ${TOOLS[*]}"
    per_event "$mode" "${TOOLS[@]}"
done

REF_START=n/a BT_START=n/a SH_WARM=n/a SH_CACHE=n/a SH_COLD=n/a SH_COLD_OWN=n/a SH_WARM_START=n/a
if ! skipped startup; then
    say "start-up: C reference"
    startup_ref
    if ((HAVE_BT)); then
        say "start-up: bpftrace"
        startup_bpftrace
    fi
    if ((HAVE_SH)); then
        say "start-up: bpfsh"
        startup_bpfsh
    fi
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
    echo "load average: $LOAD_START at start, $(cut -d' ' -f1 /proc/loadavg) at end (the workload alone makes about 1)"
    if ((CONTAMINATED)); then
        echo "WARNING: in $CONTAMINATED rounds (after 3 tries each) another process had a BPF probe"
        echo "  on a syscall tracepoint;"
        echo "  the per-event numbers are not reliable (see $LOG)"
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
is_num "$(v ref-count)" && is_num "$(v ref-hist)" || exit 1
exit 0
