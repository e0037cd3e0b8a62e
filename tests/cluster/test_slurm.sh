#!/usr/bin/env bash
# tests/cluster/test_slurm.sh: scripts/flowshark-slurm.sh and
# scripts/flowshark-merge on a private single-node Slurm cluster.
#
# Starts munged (own key and socket), slurmctld and slurmd (own slurm.conf,
# free ports, state, spool and logs) in a temporary folder, all bound to
# 127.0.0.1; nothing under /etc is touched. Over a dataset of two class
# folders of samples (with a file that is no capture and a hidden one) it
# checks that:
#   - a JSON Lines job array plus its dependent merge job gives, byte for
#     byte, the output of one local `flowshark -r DATASET --label-from-dir`;
#   - the same with -T csv, --tasks and --wait;
#   - after one output is deleted, submitting again runs that capture only
#     (the other outputs keep their inode and time) and merges the same file;
#   - a task that fails makes --wait exit 2 and cancels the merge job;
#   - -T sqlite merges into a database holding the local run's captures,
#     flows and extension rows (when flowshark has -T sqlite);
#   - every socket the cluster opens listens on 127.0.0.1 only (ss -ltunp,
#     sampled while jobs run).
# Stops every daemon by PID and removes the folder on exit (KEEP=1 keeps
# it); prints the daemons' logs on failure.
#
# Needs root (slurmd), slurm-wlm and munge. Without them it skips, except
# with CI=true, where it fails. FLOWSHARK: the program (default
# build/extractor/flowshark).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
flowshark=${FLOWSHARK:-$repo/build/extractor/flowshark}
slurm_script=$repo/scripts/flowshark-slurm.sh
in_ci=false
[ "${CI:-}" != true ] && [ "${CI:-}" != TRUE ] || in_ci=true

log() {
    printf '[test_slurm %(%T)T] %s\n' -1 "$*" >&2
}
fail() {
    log "FAIL: $*"
    exit 1
}
skip() {
    if $in_ci; then
        fail "$* (a failure, not a skip: CI=true)"
    fi
    log "SKIP: $*"
    exit 0
}

[ "$(id -u)" -eq 0 ] || skip "not root (slurmd runs as root)"
for program in munged mungekey munge slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$program" > /dev/null || skip "$program not installed (apt-get install slurm-wlm munge)"
done
for program in ss captype python3; do
    command -v "$program" > /dev/null || fail "$program not found"
done
[ -x "$flowshark" ] || fail "no flowshark program at $flowshark (build it, or set FLOWSHARK)"

export LC_ALL=C TZ=UTC
W=$(mktemp -d /tmp/flowshark-slurm-test.XXXXXX)
# munged wants its socket's folder and every parent searchable by all.
chmod 755 "$W"
mkdir -p "$W"/{run,state,spool,log,home}
mkdir -m 700 "$W/munge"
export HOME=$W/home WIRESHARK_CONFIG_DIR=$W/home
export SLURM_CONF=$W/slurm.conf

pid_of() {
    cat "$W/run/$1.pid" 2> /dev/null || true
}
running() {
    [ -n "$1" ] && kill -0 "$1" 2> /dev/null
}
stop_pid() { # SIGTERM, 10 s, SIGKILL
    local pid=$1
    running "$pid" || return 0
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 1 100); do
        running "$pid" || return 0
        sleep 0.1
    done
    log "pid $pid ignored SIGTERM: SIGKILL"
    kill -KILL "$pid" 2> /dev/null || true
}
cleanup() {
    local status=$?
    set +e
    local ctld slurmd munged
    ctld=$(pid_of slurmctld)
    slurmd=$(pid_of slurmd)
    munged=$(pid_of munged)
    if running "$ctld" || running "$slurmd"; then
        # Jobs outlive slurmd (slurmstepd goes on): cancel them first, then
        # scontrol shutdown stops slurmctld and slurmd (munge still up).
        timeout 10 scancel --user=root > /dev/null 2>&1
        for _ in $(seq 1 50); do
            [ -z "$(timeout 5 squeue -h 2> /dev/null)" ] && break
            sleep 0.2
        done
        timeout 10 scontrol shutdown > /dev/null 2>&1
        for _ in $(seq 1 50); do
            running "$ctld" || running "$slurmd" || break
            sleep 0.2
        done
    fi
    stop_pid "$ctld"
    stop_pid "$slurmd"
    stop_pid "$munged"
    if [ "$status" -ne 0 ]; then
        log "daemon logs ($W):"
        for f in "$W"/log/*.log "$W"/munge/munged.log; do
            [ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
        done
        for f in "$W"/out-*/.flowshark-slurm/*/logs/*.out; do
            [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    if [ "${KEEP:-0}" = 1 ]; then log "kept $W"; else rm -rf "$W"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # the first TCP port from $1 up that nothing listens on
    local port=$1
    while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
    echo "$port"
}
ss -Hltun | awk '{ print $1, $5 }' | sort > "$W/listen-before"

# ---- the cluster ----
ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
munge_socket=$W/run/munge.sock
mungekey --create --bits=1024 --keyfile="$W/munge/munge.key"
cat > "$SLURM_CONF" << EOF
# flowshark test cluster: one node, everything on 127.0.0.1.
ClusterName=flowshark-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/run/slurmctld.pid
SlurmdPidFile=$W/run/slurmd.pid
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
# No systemd, no cgroups, no accounting database.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# One CPU per array task, several tasks on the node at once.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=300
EOF

t0=$(date +%s.%N)
munged --socket="$munge_socket" --key-file="$W/munge/munge.key" --pid-file="$W/run/munged.pid" \
    --log-file="$W/munge/munged.log" --seed-file="$W/munge/munged.seed"
munge -S "$munge_socket" -n | unmunge -S "$munge_socket" > /dev/null || fail "munge round trip"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
state=
for _ in $(seq 1 150); do
    state=$(sinfo -h -n localhost -o %t 2> /dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || fail "node not idle after 30 s (state '$state')"
elapsed() {
    awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}
log "cluster up in $(elapsed "$t0") s (slurmctld port $ctld_port, slurmd port $slurmd_port)"

# Every listening socket of ours (by process name, or new since the start)
# must be on 127.0.0.1; the daemons' own ports must be among them.
check_listening() {
    local now new
    now=$(ss -Hltunp)
    new=$(awk '{ print $1, $5 }' <<< "$now" | sort | comm -13 "$W/listen-before" -)
    printf '%s\n' "$now" >> "$W/listen-seen"
    if grep -E '"(slurmctld|slurmd|slurmstepd|munged|srun|flowshark)"' <<< "$now" |
        awk '{ print $5 }' | grep -v '^127\.0\.0\.1:' >&2; then
        fail "a cluster process listens beyond 127.0.0.1 (above)"
    fi
    if [ -n "$new" ] && awk '{ print $2 }' <<< "$new" | grep -v '^127\.0\.0\.1:' >&2; then
        fail "a socket opened during the test listens beyond 127.0.0.1 (above)"
    fi
}
check_listening
grep -q " 127\.0\.0\.1:$ctld_port .*slurmctld" "$W/listen-seen" || fail "slurmctld not seen on 127.0.0.1:$ctld_port"
grep -q " 127\.0\.0\.1:$slurmd_port .*slurmd" "$W/listen-seen" || fail "slurmd not seen on 127.0.0.1:$slurmd_port"

# ---- the dataset and the local run ----
data=$W/data
mkdir -p "$data/web" "$data/other"
cp "$repo"/samples/{tls,dlt_ppp,ja3_lots_of_cipher_suites}.pcap "$repo/samples/quic_interop_V.pcapng" "$data/web/"
cp "$repo"/samples/{ssh,http_ipv6,signal-truncated,dnscrypt-v2-doh}.pcap "$data/other/"
cp "$repo/samples/README.md" "$data/other/notes.md"  # no capture: left out
cp "$repo/samples/tls.pcap" "$data/web/.hidden.pcap" # hidden: left out
captures=8

local_run() { # local_run OUT [options]: one run over the dataset; exit 2 (cut short) expected
    local out=$1 status=0
    shift
    "$flowshark" -q -r "$data" --label-from-dir "$@" > "$out" || status=$?
    [ "$status" -eq 2 ] || fail "local run $*: exit status $status, not 2 (signal-truncated.pcap is cut short)"
}
t=$(date +%s.%N)
local_run "$W/local.jsonl"
time0=$(elapsed "$t")
local_run "$W/local.csv" -T csv
[ "$(wc -l < "$W/local.jsonl")" -gt 20 ] || fail "the local run has too few records"

submit() { # submit LOG [flowshark-slurm.sh arguments]: its stdout to LOG, stderr shown
    local out=$1
    shift
    "$slurm_script" --flowshark "$flowshark" "$@" > "$out"
}
value() { # value KEY FILE: KEY=... from flowshark-slurm.sh's standard output
    sed -n "s/^$1=//p" "$2"
}

# ---- 1: JSON Lines, a dependent merge job, the queue polled here ----
t=$(date +%s.%N)
submit "$W/submit1" --per-task 3 --output-dir "$W/out-jsonl" --merge "$W/merged.jsonl" \
    -- "$data" --label-from-dir
array_job=$(value array_job "$W/submit1")
merge_job=$(value merge_job "$W/submit1")
if [ -z "$array_job" ] || [ -z "$merge_job" ]; then
    fail "no job ids: $(cat "$W/submit1")"
fi
for _ in $(seq 1 600); do
    check_listening
    squeue -h -o %F > "$W/queue"
    grep -qxF -e "$array_job" -e "$merge_job" "$W/queue" || break
    sleep 0.2
done
! grep -qxF -e "$array_job" -e "$merge_job" "$W/queue" || fail "jobs still queued after 120 s"
work=$(value work_dir "$W/submit1")
[ "$(find "$work/chunks" -name '*.list' | wc -l)" -eq 3 ] || fail "8 captures at 3 per task are not 3 tasks"
for task in 0 1 2; do
    [ "$(cat "$work/status/task-$task" 2> /dev/null)" = 0 ] || fail "task $task did not succeed"
done
[ "$(cat "$work/status/merge" 2> /dev/null)" = 0 ] || fail "the merge job did not succeed"
[ "$(find "$W/out-jsonl" -name '*.jsonl' | wc -l)" -eq "$captures" ] || fail "not $captures outputs"
cmp "$W/merged.jsonl" "$W/local.jsonl" || fail "merged JSON Lines differ from the local run"
time1=$(elapsed "$t")
log "JSON Lines: 3 tasks + merge job in $time1 s; merged = local run ($(wc -l < "$W/local.jsonl") records)"

# ---- 2: CSV, --tasks, --wait ----
t=$(date +%s.%N)
submit "$W/submit2" --tasks 2 --wait --poll 0.5 --output-dir "$W/out-csv" --merge "$W/merged.csv" \
    -- "$data" --label-from-dir -T csv
check_listening
[ "$(find "$(value work_dir "$W/submit2")/chunks" -name '*.list' | wc -l)" -eq 2 ] || fail "--tasks 2: not 2 chunks"
cmp "$W/merged.csv" "$W/local.csv" || fail "merged CSV differs from the local run"
time2=$(elapsed "$t")
log "CSV: --tasks 2 --wait in $time2 s; merged = local run"

# ---- 3: one output deleted, submitted again ----
gone=$W/out-jsonl/web/tls.pcap.jsonl
rm "$gone" "$W/merged.jsonl"
find "$W/out-jsonl" -name '*.jsonl' -printf '%p %i %T@\n' | sort > "$W/kept-before"
t=$(date +%s.%N)
submit "$W/submit3" --per-task 3 --wait --poll 0.5 --output-dir "$W/out-jsonl" \
    --merge "$W/merged.jsonl" -- "$data" --label-from-dir 2> "$W/submit3.err" ||
    { cat "$W/submit3.err" >&2; fail "resubmission failed"; }
cat "$W/submit3.err" >&2
grep -q "$captures capture(s), $((captures - 1)) already done, 1 to run" "$W/submit3.err" ||
    fail "the resubmission did not plan exactly one capture"
work=$(value work_dir "$W/submit3")
[ "$(cat "$work"/chunks/*.list)" = "$data/web/tls.pcap" ] || fail "the resubmission's chunk is not the deleted capture's"
[ -f "$gone" ] || fail "$gone not written again"
find "$W/out-jsonl" -name '*.jsonl' ! -path "$gone" -printf '%p %i %T@\n' | sort > "$W/kept-after"
cmp "$W/kept-before" "$W/kept-after" || fail "outputs other than the deleted one were rewritten"
cmp "$W/merged.jsonl" "$W/local.jsonl" || fail "merged JSON Lines after the resubmission differ"
time3=$(elapsed "$t")
log "resubmission: 1 of $captures captures run again in $time3 s; merged = local run"

# ---- 4: a failing task ----
printf '%s\n' "$data/web/tls.pcap" "$data/web/missing.pcap" > "$W/bad.list"
status=0
submit "$W/submit4" --files-from "$W/bad.list" --wait --poll 0.5 --output-dir "$W/out-bad" \
    --merge "$W/merged-bad.jsonl" -- "$data" 2> "$W/submit4.err" || status=$?
cat "$W/submit4.err" >&2
[ "$status" -eq 2 ] || fail "--wait with a failed task: exit status $status, not 2"
grep -q "task 0: exit status 3" "$W/submit4.err" || fail "the failed task was not reported"
grep -q "merge did not run (a task failed" "$W/submit4.err" || fail "the merge was not reported as not run"
[ ! -e "$W/merged-bad.jsonl" ] || fail "a merge was written despite the failed task"
squeue -h -o %F | grep -qxF "$(value merge_job "$W/submit4")" && fail "the merge job of a failed array is still queued"
log "failure: a task that fails is reported, its merge job cancelled"

# ---- 5: SQLite ----
if "$flowshark" --help 2>&1 | grep -qE '^ +sqlite '; then
    sni=tls.handshake.extensions_server_name
    "$flowshark" -q -r "$data" --label-from-dir -T sqlite -e "$sni" -w "$W/local.db" || [ $? -eq 2 ] ||
        fail "local -T sqlite run"
    t=$(date +%s.%N)
    submit "$W/submit5" --per-task 4 --wait --poll 0.5 --output-dir "$W/out-db" \
        --merge "$W/merged.db" -- "$data" --label-from-dir -T sqlite -e "$sni"
    time5=$(elapsed "$t")
    python3 - "$W/local.db" "$W/merged.db" << 'EOF' || fail "merged SQLite differs from the local run"
import sqlite3, sys
local, merged = (sqlite3.connect(p) for p in sys.argv[1:])
def rows(db, sql):
    return db.execute(sql).fetchall()
flow_cols = [r[1] for r in local.execute("PRAGMA table_info(flows)")]
assert flow_cols == [r[1] for r in merged.execute("PRAGMA table_info(flows)")], "flows columns"
checks = {
    "captures": "SELECT id, path, size, label, packets, flows, status, error FROM captures ORDER BY id",
    "flows": "SELECT * FROM flows ORDER BY id",
    "extension": "SELECT * FROM extension ORDER BY id",
}
for name, sql in checks.items():
    a, b = rows(local, sql), rows(merged, sql)
    assert a == b, f"{name}: {len(a)} local rows, {len(b)} merged, first difference " + \
        str(next((x, y) for x, y in zip(a + [None], b + [None]) if x != y))
n = rows(merged, "SELECT count(*) FROM runs")[0][0]
assert n == 8, f"{n} runs, not one per capture"
assert rows(merged, "PRAGMA integrity_check") == [("ok",)]
print(f"SQLite: {len(rows(merged, checks['flows']))} flows, "
      f"{len(rows(merged, checks['extension']))} extension rows as the local run", file=sys.stderr)
EOF
    log "SQLite: 2 tasks + merge in $time5 s; merged database = local run (captures, flows, extension)"
else
    log "SQLite: flowshark has no -T sqlite yet: not tested"
fi

check_listening
log "listening sockets seen, all on 127.0.0.1:"
grep -E 'slurm|munge' "$W/listen-seen" | awk '{ print "  " $1, $5, $7 }' | sed 's/,fd=[0-9]*//g' | sort -u >&2
log "OK (local run $time0 s; on the cluster: JSON Lines $time1 s, CSV $time2 s, resubmission $time3 s)"
