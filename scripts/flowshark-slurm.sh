#!/usr/bin/env bash
# flowshark-slurm.sh: flowshark over a dataset folder on a Slurm cluster, as
# a job array. Lists the captures below DATASET_DIR in the order flowshark
# walks it, keeps those whose output is not yet under OUT, splits them into
# chunks (many captures per array task), and submits one array task per
# chunk, each running
#
#   flowshark -j C --files-from CHUNK --root DATASET_DIR --output-dir OUT --resume [options]
#
# then, with --merge FILE, a job that runs once every task has succeeded
# (sbatch --dependency=afterok) and merges the outputs into FILE with
# flowshark-merge, in the order of one run over DATASET_DIR. Running the same
# command again after a failure submits only the captures that have no
# output yet. See doc/scaling.md.
set -euo pipefail

usage() {
    cat << 'EOF'
Usage: flowshark-slurm.sh [options] --output-dir OUT -- DATASET_DIR [flowshark options...]

Runs flowshark over every capture below DATASET_DIR as a Slurm job array, one
output file per capture at OUT/<path below DATASET_DIR>.<jsonl|csv|db>, and
optionally merges them into one file. Captures that already have their output
are left out, so running the same command again after a failure redoes only
the missing ones.

Work split:
  --per-task K          captures per array task (default 100, raised when the
                        array would exceed the cluster's MaxArraySize)
  --tasks N             N array tasks instead, each with a contiguous part of
                        the list of about the same number of bytes
  --files-from LIST     take the captures from LIST (one path a line, each
                        below DATASET_DIR, in the order to merge them) instead
                        of walking DATASET_DIR
Slurm:
  --partition P         partition of the jobs (sbatch --partition)
  --time T              time limit of each array task (sbatch --time)
  --cpus-per-task C     CPUs of each task; flowshark runs with -j C (default 1)
  --max-running M       at most M array tasks at once (--array=...%M)
  --job-name NAME       job name (default flowshark; the merge job NAME-merge)
  --sbatch-arg ARG      one more sbatch argument for every job (repeatable),
                        e.g. --sbatch-arg=--mem=4G --sbatch-arg=--account=lab
Output:
  --output-dir OUT      per-capture outputs (required; created); the job
                        files and logs go to OUT/.flowshark-slurm/<submission>/
  --merge FILE          merge the outputs into FILE after the array succeeds
                        (a dependent job; the format is that of -T)
  --wait                wait until the jobs end, then report what failed;
                        exit status 0 only if every capture has its output
                        (and FILE was merged)
  --poll S              seconds between queue checks with --wait (default 10)
  --flowshark PATH      the flowshark program the jobs run (default: $FLOWSHARK,
                        else flowshark on PATH); every node must see it there
  --dry-run             write the list, the chunks and the job scripts, print
                        the sbatch commands, submit nothing
  -h, --help            this help

Everything after DATASET_DIR goes to flowshark (-T, -e, --stats,
--label-from-dir...), except what this script sets itself (-r, -w,
--output-dir, --files-from, --root). DATASET_DIR is passed as given, so
records name their captures as `flowshark -r DATASET_DIR` would; the jobs run
in the current folder, which every node must see (as DATASET_DIR and OUT).

Captures are recognised as flowshark's own walk does, by content, with
Wireshark's captype (package wireshark-common, which tshark installs).

On standard output: work_dir=..., array_job=ID (if any capture is left),
merge_job=ID (with --merge). Exit status: 0 submitted (with --wait: done),
1 bad usage or nothing could be submitted, 2 with --wait: jobs failed.
EOF
}

die() {
    echo "flowshark-slurm.sh: $*" >&2
    exit 1
}
note() {
    echo "flowshark-slurm.sh: $*" >&2
}

# Glob and sort byte by byte, as flowshark's walk (strcmp) does.
export LC_ALL=C
shopt -s nullglob

per_task='' tasks='' files_from='' partition='' time_limit='' cpus=1 max_running=''
job_name=flowshark out_dir='' merge_file='' wait=0 poll=10 dry_run=0
flowshark=${FLOWSHARK:-flowshark}
sbatch_args=()
command_line=$(printf '%q ' "$0" "$@")

# ---- command line ----
need_value() {
    [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}
positive() {
    [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] || die "$1: not a positive whole number: $2"
}
while [ "$#" -gt 0 ]; do
    opt=$1
    value=
    case $opt in
        --*=*)
            value=${opt#*=}
            opt=${opt%%=*}
            set -- "$opt" "$value" "${@:2}"
            ;;
    esac
    case $opt in
        -h | --help)
            usage
            exit 0
            ;;
        --wait) wait=1 ;;
        --dry-run) dry_run=1 ;;
        --)
            shift
            break
            ;;
        --per-task | --tasks | --files-from | --partition | --time | --cpus-per-task | \
            --max-running | --job-name | --sbatch-arg | --output-dir | --merge | --poll | \
            --flowshark)
            need_value "$opt" "$#"
            value=$2
            shift
            case $opt in
                --per-task) positive "$opt" "$value" && per_task=$value ;;
                --tasks) positive "$opt" "$value" && tasks=$value ;;
                --files-from) files_from=$value ;;
                --partition) partition=$value ;;
                --time) time_limit=$value ;;
                --cpus-per-task) positive "$opt" "$value" && cpus=$value ;;
                --max-running) positive "$opt" "$value" && max_running=$value ;;
                --job-name) job_name=$value ;;
                --sbatch-arg) sbatch_args+=("$value") ;;
                --output-dir) out_dir=$value ;;
                --merge) merge_file=$value ;;
                --poll)
                    [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--poll: not a number of seconds: $value"
                    poll=$value
                    ;;
                --flowshark) flowshark=$value ;;
            esac
            ;;
        *) die "unknown option $opt (the dataset and flowshark's options go after --; see --help)" ;;
    esac
    shift
done

[ "$#" -ge 1 ] || die "no DATASET_DIR (usage: flowshark-slurm.sh [options] --output-dir OUT -- DATASET_DIR [flowshark options...])"
dataset=$1
shift
fs_options=("$@")
[ -n "$out_dir" ] || die "--output-dir OUT is required"
[ -z "$per_task" ] || [ -z "$tasks" ] || die "--per-task and --tasks exclude each other"
[ -d "$dataset" ] || die "$dataset: not a folder"
[ -z "$files_from" ] || [ -r "$files_from" ] || die "--files-from $files_from: cannot be read"

# flowshark's options: the format (for the output names), and what we set.
format=jsonl
for ((i = 0; i < ${#fs_options[@]}; i++)); do
    o=${fs_options[i]}
    case $o in
        -r | --read-file | --read-file=* | -w | --write | --write=* | --output-dir | \
            --output-dir=* | --files-from | --files-from=* | --root | --root=*)
            die "flowshark option $o: this script sets the inputs and outputs itself"
            ;;
        -T | --output-format) format=${fs_options[i + 1]:-} ;;
        --output-format=*) format=${o#*=} ;;
        -T?*) format=${o#-T} ;;
    esac
done
case $format in
    jsonl) ext=.jsonl ;;
    csv) ext=.csv ;;
    sqlite) ext=.db ;;
    *) die "flowshark -T $format: unknown output format (jsonl, csv, sqlite)" ;;
esac

# The programs, by absolute path, as the jobs will run them.
if [[ $flowshark != */* ]]; then
    resolved=$(command -v "$flowshark" || true)
    [ -n "$resolved" ] || die "flowshark not found on PATH (give --flowshark PATH or FLOWSHARK=PATH)"
    flowshark=$resolved
fi
[ -x "$flowshark" ] || die "$flowshark: not an executable program"
flowshark=$(realpath "$flowshark")
merge_tool=$(realpath "$(dirname "${BASH_SOURCE[0]}")")/flowshark-merge
[ -z "$merge_file" ] || [ -x "$merge_tool" ] || die "$merge_tool: missing (it merges the outputs)"
if [ -z "$files_from" ]; then
    command -v captype > /dev/null ||
        die "captype not found: it recognises the captures (Debian: wireshark-common); or give --files-from LIST"
fi
if [ "$dry_run" -eq 0 ]; then
    command -v sbatch > /dev/null || die "sbatch not found (is this a Slurm submit host?)"
fi

mkdir -p "$out_dir"
out_dir=$(realpath "$out_dir")
[ -z "$merge_file" ] || merge_file=$(realpath -m "$merge_file")
work=$out_dir/.flowshark-slurm/$(date -u +%Y%m%dT%H%M%SZ)-$$
mkdir -p "$work/chunks" "$work/logs" "$work/status"
printf '%s\n' "$command_line" > "$work/command"

# ---- the captures, in flowshark's order ----

# Prints the regular files below $1 as flowshark walks a folder: names
# sorted byte by byte at each level, names starting with '.' left out,
# folders reached through symbolic links not entered.
walk() {
    local dir=$1 entry
    [ "$dir" != / ] || dir=
    for entry in "$dir"/*; do
        if [ -d "$entry" ] && [ ! -L "$entry" ]; then
            walk "$entry"
        elif [ -f "$entry" ]; then
            case $entry in *$'\n'*) die "$entry: a file name with a newline cannot go in a list" ;; esac
            printf '%s\n' "$entry"
        fi
    done
}

# The files of list $1 that wiretap opens as captures, as flowshark's walk
# keeps them: captype prints "PATH: TYPE" in order ("unknown" for a file
# that is no capture; nothing on standard output for one it cannot open).
keep_captures() {
    tr '\n' '\0' < "$1" | xargs -0 -r captype > "$work/captype.out" 2> "$work/captype.err" || true
    awk 'FILENAME == ARGV[1] { line[++n] = $0; next }
        {
            want = $0 ": "
            if (i < n && substr(line[i + 1], 1, length(want)) == want) {
                i++
                if (substr(line[i], length(want) + 1) != "unknown")
                    print
            }
        }' "$work/captype.out" "$1"
}

top=$dataset
while [ "${#top}" -gt 1 ] && [ "${top%/}" != "$top" ]; do top=${top%/}; done
if [ -n "$files_from" ]; then
    # One path a line, blank lines and a trailing CR dropped (as flowshark reads it).
    sed -e 's/\r$//' -e '/^$/d' "$files_from" > "$work/captures.list"
else
    walk "$top" > "$work/files.list"
    keep_captures "$work/files.list" > "$work/captures.list"
    others=$(($(wc -l < "$work/files.list") - $(wc -l < "$work/captures.list")))
    [ "$others" -eq 0 ] || note "$others file(s) below $dataset are not captures (left out, as flowshark's walk does)"
fi
total=$(wc -l < "$work/captures.list")
[ "$total" -gt 0 ] || die "no capture below $dataset"

# Each capture's output, by flowshark's --root rule: its path below
# DATASET_DIR, both in canonical form (absolute, '.', '..' and repeated
# slashes resolved as text, as realpath -ms does), else its file name.
tr '\n' '\0' < "$work/captures.list" |
    xargs -0 -r realpath -ms --relative-base="$dataset" -- > "$work/below.list"
[ "$(wc -l < "$work/below.list")" -eq "$total" ] || die "realpath failed on the list"
awk 'FILENAME == ARGV[1] { below[FNR] = $0; next }
    {
        rel = below[FNR]
        if (rel ~ /^\// || rel == ".") {
            rel = $0
            sub(/\/+$/, "", rel)
            sub(/.*\//, "", rel)
        }
        print rel
    }' "$work/below.list" "$work/captures.list" > "$work/rel.list"
: > "$work/pending.list"
while IFS= read -r path <&3 && IFS= read -r rel <&4; do
    [ ! -d "$path" ] || die "$path: a folder in --files-from; list the captures themselves"
    [ -e "$out_dir/$rel$ext" ] || printf '%s\n' "$path" >> "$work/pending.list"
done 3< "$work/captures.list" 4< "$work/rel.list"
dup=$(sort "$work/rel.list" | uniq -d | head -n 1)
[ -z "$dup" ] || die "two captures would both write $out_dir/$dup$ext (list captures below $dataset with different paths)"
pending=$(wc -l < "$work/pending.list")
note "$total capture(s), $((total - pending)) already done, $pending to run"

# ---- chunks ----
max_array=1001
if [ "$dry_run" -eq 0 ]; then
    max_array=$(scontrol show config 2> /dev/null | awk -F' *= *' '$1 == "MaxArraySize" { print $2 }')
    [[ $max_array =~ ^[0-9]+$ ]] || max_array=1001
fi
ntasks=0
if [ "$pending" -gt 0 ]; then
    if [ -n "$tasks" ]; then
        [ "$tasks" -le "$max_array" ] || die "--tasks $tasks: more than the cluster's MaxArraySize ($max_array)"
        [ "$tasks" -le "$pending" ] || tasks=$pending
    else
        if [ -z "$per_task" ]; then
            per_task=100
            while [ $(((pending + per_task - 1) / per_task)) -gt "$max_array" ]; do
                per_task=$((per_task * 2))
            done
        fi
        tasks=$(((pending + per_task - 1) / per_task))
        [ "$tasks" -le "$max_array" ] ||
            die "--per-task $per_task makes $tasks tasks, more than the cluster's MaxArraySize ($max_array)"
    fi
    # Chunk k is chunks/0000k.list. --per-task: K captures each. --tasks:
    # N contiguous parts of about total/N bytes each (a part ends where the
    # next capture's middle byte passes its share), every part with at least
    # one capture; without sizes, of about the same number of captures.
    if [ -n "$per_task" ]; then
        : > "$work/pending.sizes"
    else
        tr '\n' '\0' < "$work/pending.list" | xargs -0 -r stat -L -c %s -- > "$work/pending.sizes" 2> /dev/null || true
        # A file gone meanwhile: split by count instead.
        [ "$(wc -l < "$work/pending.sizes")" -eq "$pending" ] || : > "$work/pending.sizes"
    fi
    awk -v dir="$work/chunks" -v per="${per_task:-0}" -v n="$tasks" -v count="$pending" '
        FILENAME == ARGV[1] { size[FNR] = $1 + 0; sum += size[FNR]; next }
        {
            if (per > 0)
                part = int((FNR - 1) / per)
            else {
                s = sum > 0 ? size[FNR] : 1
                share = (sum > 0 ? sum : count) / n
                if (FNR > 1 && part < n - 1 &&
                    (count - FNR + 1 <= n - 1 - part || cum + s / 2 > (part + 1) * share))
                    part++
                cum += s
            }
            if (FNR == 1 || part != last) {
                if (FNR > 1)
                    close(file)
                file = sprintf("%s/%05d.list", dir, chunks++)
                last = part
            }
            print > file
        }
        END { print chunks + 0 }' "$work/pending.sizes" "$work/pending.list" > "$work/chunks.count"
    ntasks=$(cat "$work/chunks.count")
fi

# ---- job scripts ----
q() {
    printf '%q ' "$@"
}
work_q=$(printf '%q' "$work")
# (the chunk's name is task.sh's "$chunk", left unexpanded here)
# shellcheck disable=SC2016
fs_command=$(q "$flowshark" -j "$cpus" --files-from)'"$chunk" '$(q --root "$dataset" --output-dir "$out_dir" --resume "${fs_options[@]}")
cat > "$work/task.sh" << EOF
#!/bin/bash
# Written by flowshark-slurm.sh: array task N reads chunks/N.list.
set -uo pipefail
chunk=\$(printf '%s/chunks/%05d.list' $work_q "\$SLURM_ARRAY_TASK_ID")
status=0
$fs_command|| status=\$?
if [ "\$status" -eq 2 ]; then
    echo "flowshark-slurm: flowshark exit status 2 (a capture was cut short; its complete packets' records are written): done" >&2
    status=0
fi
echo "\$status" > $work_q/status/task-"\$SLURM_ARRAY_TASK_ID"
exit "\$status"
EOF
if [ -n "$merge_file" ]; then
    cat > "$work/merge.sh" << EOF
#!/bin/bash
# Written by flowshark-slurm.sh: merges the outputs in the order of the list.
set -uo pipefail
status=0
$(q "$merge_tool" --list "$work/captures.list" --root "$dataset" --format "$format" -o "$merge_file" "$out_dir")|| status=\$?
echo "\$status" > $work_q/status/merge
exit "\$status"
EOF
fi
chmod +x "$work"/*.sh

common=(--chdir="$PWD")
[ -z "$partition" ] || common+=(--partition="$partition")
common+=("${sbatch_args[@]}")
array_cmd=(sbatch --parsable --job-name="$job_name" --array="0-$((ntasks - 1))${max_running:+%$max_running}"
    --ntasks=1 --cpus-per-task="$cpus" --output="$work/logs/task-%a.out" "${common[@]}")
[ -z "$time_limit" ] || array_cmd+=(--time="$time_limit")
merge_cmd=(sbatch --parsable --job-name="$job_name-merge" --ntasks=1 --cpus-per-task=1
    --output="$work/logs/merge.out" "${common[@]}")

echo "work_dir=$work"
if [ "$dry_run" -eq 1 ]; then
    [ "$ntasks" -eq 0 ] || echo "would run: $(q "${array_cmd[@]}" "$work/task.sh")"
    if [ -n "$merge_file" ]; then
        [ "$ntasks" -eq 0 ] || merge_cmd+=(--dependency=afterok:ARRAY_JOB --kill-on-invalid-dep=yes)
        echo "would run: $(q "${merge_cmd[@]}" "$work/merge.sh")"
    fi
    exit 0
fi
if [ "$ntasks" -eq 0 ] && [ -z "$merge_file" ]; then
    note "every capture has its output: nothing to submit"
    exit 0
fi

# ---- submit ----
array_job='' merge_job=''
if [ "$ntasks" -gt 0 ]; then
    array_job=$("${array_cmd[@]}" "$work/task.sh") || die "sbatch of the array failed"
    array_job=${array_job%%;*}
    echo "array_job=$array_job"
    note "array job $array_job: $ntasks task(s), $pending capture(s), logs in $work/logs"
    merge_cmd+=(--dependency="afterok:$array_job" --kill-on-invalid-dep=yes)
fi
if [ -n "$merge_file" ]; then
    merge_job=$("${merge_cmd[@]}" "$work/merge.sh") || die "sbatch of the merge job failed"
    merge_job=${merge_job%%;*}
    echo "merge_job=$merge_job"
    note "merge job $merge_job${array_job:+ (after every task of $array_job succeeds)}: $merge_file"
fi
[ "$wait" -eq 1 ] || exit 0

# ---- --wait ----
trap 'note "interrupted: the jobs go on (scancel $array_job $merge_job to stop them)"; exit 130' INT TERM
started=$SECONDS
user=$(id -un)
while :; do
    if queued=$(squeue -h -u "$user" -o %F 2> /dev/null); then
        grep -qxF -e "${array_job:-none}" -e "${merge_job:-none}" <<< "$queued" || break
    fi
    sleep "$poll"
done
failed=0
for ((t = 0; t < ntasks; t++)); do
    s=$(cat "$work/status/task-$t" 2> /dev/null || echo "none")
    if [ "$s" != 0 ]; then
        failed=$((failed + 1))
        [ "$s" = none ] && why="did not finish (cancelled, time limit, node failure?)" || why="exit status $s"
        note "task $t: $why; log $work/logs/task-$t.out"
    fi
done
missing=0
while IFS= read -r rel; do
    [ -e "$out_dir/$rel$ext" ] || missing=$((missing + 1))
done < "$work/rel.list"
note "jobs ended after $((SECONDS - started)) s: $((total - missing)) of $total capture(s) have their output"
status=0
[ "$failed" -eq 0 ] && [ "$missing" -eq 0 ] || status=2
if [ -n "$merge_file" ]; then
    s=$(cat "$work/status/merge" 2> /dev/null || echo "none")
    if [ "$s" = 0 ]; then
        note "merged into $merge_file"
    else
        status=2
        [ "$s" = none ] && why="did not run (a task failed; once its cause is fixed, run the same command again)" || why="failed (exit status $s; log $work/logs/merge.out)"
        note "merge $why"
    fi
fi
exit "$status"
