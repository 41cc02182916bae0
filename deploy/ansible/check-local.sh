#!/bin/bash
# Runs the playbook's `run` action against this machine and checks it end to end:
#   check-local.sh BPFSH_BINARY SESSION_FILE WORKDIR [ansible-playbook options, e.g. -e bpfsh_wait=10]
# Local connection, no package installation, no systemd (even where it runs: nothing is
# installed outside WORKDIR); state in WORKDIR/state, fetched files in WORKDIR/fetch/localhost.
# Checks that the fetched output is JSON lines and that no process of the session is left.
# The playbook's output goes to stderr; stdout is one line: the fetched output file's path.
# Bounded by CHECK_TIMEOUT seconds (default 300). Needs root (or sudo), ansible-playbook, python3.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 BPFSH_BINARY SESSION_FILE WORKDIR [ansible-playbook options]" >&2
    exit 2
fi
binary=$(realpath -e "$1")
session=$(realpath -e "$2")
work=$(realpath -m "$3")
shift 3
here=$(cd "$(dirname "$0")" && pwd)
limit=${CHECK_TIMEOUT:-300}
fail() {
    echo "check-local: $*" >&2
    if [ -s "${output:-}" ]; then echo "check-local: the fetched output: $output" >&2; fi
    exit 1
}

mkdir -p "$work"
state=$work/state
output=$work/fetch/localhost/output.jsonl
rm -rf "$work/fetch"

# As root, no sudo (it may not even be installed); otherwise the play's become (sudo).
become=true
[ "$(id -u)" = 0 ] && become=false
# JSON extra vars: paths with spaces or quotes pass unharmed, booleans and numbers typed.
vars=$(python3 -c '
import json, sys
typed = lambda v: {"true": True, "false": False}.get(v, int(v) if v.isdigit() else v)
print(json.dumps({k: typed(v) for k, v in zip(sys.argv[1::2], sys.argv[2::2])}))' \
    bpfsh_action run \
    bpfsh_binary "$binary" \
    bpfsh_session "$session" \
    bpfsh_install_packages false \
    bpfsh_use_systemd false \
    bpfsh_install_path "$work/bin/bpfsh" \
    bpfsh_state_dir "$state" \
    bpfsh_fetch_dir "$work/fetch" \
    bpfsh_cache_dir "${XDG_CACHE_HOME:-$HOME/.cache}" \
    bpfsh_metrics_listen 127.0.0.1:9477 \
    bpfsh_wait 5 \
    bpfsh_time_limit "$limit" \
    ansible_become "$become")

export ANSIBLE_HOME=$work/ansible ANSIBLE_LOCAL_TEMP=$work/ansible/tmp ANSIBLE_REMOTE_TEMP=$work/ansible/tmp
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

# start-stop-daemon detaches the session, so it is orphaned: this wrapper is a child subreaper,
# which inherits those orphans, reaps them (PID 1 may not, here it does not) and kills any
# that still lives once the playbook is done: the test fails then, and leaves nothing behind.
reaper='
import ctypes, os, signal, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
rc = subprocess.call(sys.argv[1:])
def orphans():
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if entry.isdigit() and int(fields[1]) == os.getpid() and fields[0] != "Z":
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    found.append((int(entry), f.read().replace(b"\0", b" ").decode(errors="replace")))
        except (OSError, IndexError, ValueError):
            pass
    return found
def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return
left, deadline = [], time.time() + 2
while True:
    reap()
    live = orphans()
    if not live:
        break
    if time.time() > deadline:
        for pid, cmd in live:
            left.append(f"{pid} {cmd}")
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 5
    time.sleep(0.1)
for line in left:
    print(f"check-local: killed a process left behind: {line}", file=sys.stderr)
sys.exit(rc if rc else (3 if left else 0))
'
status=0
(cd "$here" && python3 -c "$reaper" timeout -k 10 "$limit" \
    ansible-playbook -i localhost, --connection=local site.yml -e "$vars" "$@") >&2 || status=$?
case $status in
    0) ;;
    3) fail "the session outlived the playbook" ;;
    124|137) fail "the playbook did not finish within $limit s (CHECK_TIMEOUT)" ;;
    *) fail "the playbook failed (status $status)" ;;
esac

[ -s "$output" ] || fail "no output fetched at $output"
python3 - "$output" <<'EOF' || fail "$output is not JSON lines"
import json, sys
with open(sys.argv[1]) as f:
    for number, line in enumerate(f, 1):
        try:
            json.loads(line)
        except ValueError:
            sys.exit(f"{sys.argv[1]}:{number}: not JSON: {line[:200]!r}")
EOF
if "$state/bpfshctl" status >/dev/null 2>&1; then fail "the session is still running"; fi
echo "$output"
