#!/usr/bin/env bash
# fake-bpfsh.sh — a stand-in for bpfsh, only for testing bench/run.sh before
# the real shell exists:  BPFSH=bench/fake-bpfsh.sh bash bench/run.sh
#
# Understands just what the benchmark sends: `map ...` (ignored),
# `probe SPEC { ... }` (starts bench/out/ref count, or ref hist when the body
# calls hist(), and prints bpfsh's "attached" line with the measured time),
# `print ...` (prints a placeholder) and `quit`.  Its numbers are the C
# reference's, not bpfsh's.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ref=$here/out/ref
tmp=$(mktemp -d /tmp/fake-bpfsh.XXXXXX)
pids=() fds=() n=0
done_all() {
    local fd p
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    for p in "${pids[@]}"; do wait "$p"; done
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
    quit) break ;;
    esac
done
done_all
