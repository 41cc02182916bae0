#!/usr/bin/env bash
# fake-bpfsh.sh — a stand-in for bpfsh, only for testing bench/run.sh before
# the real shell exists:  BPFSH=bench/fake-bpfsh.sh bash bench/run.sh
#
# Understands just what the benchmark sends: `map ...` (ignored),
# `probe SPEC { ... }` (starts bench/out/ref count, or ref hist when the body
# calls hist(), and prints bpfsh's "attached" line with the measured time),
# `print ...` (prints a placeholder) and `quit`.  Its numbers are the C
# reference's, not bpfsh's.  A probe whose body calls print() and filters on
# `pid() == N` starts bench/out/ref_print N instead (mode $FAKE_PRINT_MODE,
# default batch), which streams to this script's stdout; `run` is ignored,
# `map NAME ...` echoes "map NAME: (fake)", and at the end the records
# ref_print lost are reported the way bpfsh does.  (The harness's "reader
# stopped" run stops this script, not ref_print, so nothing is lost there.)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ref=$here/out/ref
tmp=$(mktemp -d /tmp/fake-bpfsh.XXXXXX)
pids=() fds=() printers=() n=0
done_all() {
    local fd p lost
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    for p in "${printers[@]}"; do kill -INT "$p" 2>/dev/null; done
    for p in "${pids[@]}" "${printers[@]}"; do wait "$p"; done
    for p in "$tmp"/perr*; do
        [[ -f $p ]] || continue
        lost=$(sed -n 's/.*records written, \([0-9]*\) lost.*/\1/p' "$p")
        [[ ${lost:-0} != 0 ]] &&
            echo "warning: $lost print() records lost: the ring buffer was full (fake bpfsh)" >&2
    done
    rm -rf "$tmp"
}
trap 'done_all; exit 0' TERM INT HUP
while IFS= read -r line; do
    case $line in
    probe\ *)
        n=$((n + 1))
        spec=${line#probe }
        spec=${spec%%\{*}
        spec=${spec% }
        if [[ $line == *'print('* && $line =~ pid\(\)\ ==\ ([0-9]+) ]]; then
            t0=$EPOCHREALTIME
            "$here/out/ref_print" "${BASH_REMATCH[1]}" "${FAKE_PRINT_MODE:-batch}" 2>"$tmp/perr$n" &
            printers+=($!)
            for ((i = 0; i < 1000; i++)); do
                grep -q '^ready$' "/proc/$!/fd/1" 2>/dev/null && break
                sleep 0.01
            done
            ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
            echo "p$n attached: $spec (1 program) in $ms ms (fake: ref_print)"
            continue
        fi
        mode=count
        [[ $line == *'hist('* ]] && mode=hist
        mkfifo "$tmp/in$n"
        t0=$EPOCHREALTIME
        "$ref" "$mode" <"$tmp/in$n" >"$tmp/out$n" 2>/dev/null &
        pids+=($!)
        exec {fd}>"$tmp/in$n"
        fds+=("$fd")
        for ((i = 0; i < 1000; i++)); do
            grep -q ready "$tmp/out$n" 2>/dev/null && break
            sleep 0.01
        done
        t1=$EPOCHREALTIME
        ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
        echo "p$n attached: $spec (1 program) in $ms ms (compile 0.0 ms, load $ms ms, attach 0.0 ms)"
        ;;
    print\ *) echo "(fake bpfsh: no map contents; getppid_loop n/a)" ;;
    map\ *)
        name=${line#map }
        echo "map ${name%% *}: (fake)"
        ;;
    quit) break ;;
    esac
done
done_all
