#!/bin/bash
# Submits a mitmwatch batch over a list of captures to Slurm: an optional
# learning array, the analysis array (one summary.json a task) and a merge
# job that waits for it (afterok). docs/scale.md explains the sizing.
#
#   submit.sh [options] LIST OUTDIR STATE [-- MITMWATCH_OPTIONS...]
#
# LIST: one capture a line, "PATH [VANTAGE]" (a TAB before the vantage when
# PATH has blanks; blank lines and lines starting with # are skipped).
# STATE: the shared baseline, postgresql://... (password in ~/.pgpass or
# PGPASSFILE on the compute nodes, never here: mitmwatch refuses it).
# OUTDIR (on a file system every node sees) receives:
#   captures.tsv, config, args    what the tasks read
#   tasks/N/summary.json          task N's summary (and report.html)
#   report/summary.json, report.html  the merge of all tasks
#   logs/                         one Slurm log a task
# Options:
#   -n N            captures a task (default 1); the array has ceil(lines/N) tasks
#   --learn         first a learning array (-q -o /dev/null --state) over the
#                   same tasks, the analysis after it (afterok): verdicts then
#                   do not depend on which task ran first (docs/scale.md)
#   --throttle K    at most K tasks of an array at once (--array=...%K): what
#                   the shared PostgreSQL server is sized for
#   --mitmwatch BIN the binary on the compute nodes (default: mitmwatch)
#   --sbatch ARG    one more sbatch option for every job (repeatable), e.g.
#                   --sbatch=--partition=batch --sbatch=--mem=256M
# Prints the job ids, one a line: [learn] array, merge.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
per=1 learn=0 bin=mitmwatch throttle=
sb=()
while [ $# -gt 0 ]; do
    case $1 in
    -n) per=$2; shift 2 ;;
    -n*) per=${1#-n}; shift ;;
    --learn) learn=1; shift ;;
    --throttle) throttle=%$2; shift 2 ;;
    --throttle=*) throttle=%${1#*=}; shift ;;
    --mitmwatch) bin=$2; shift 2 ;;
    --mitmwatch=*) bin=${1#*=}; shift ;;
    --sbatch) sb+=("$2"); shift 2 ;;
    --sbatch=*) sb+=("${1#*=}"); shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "submit.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 3 ]; then
    echo "usage: submit.sh [-n N] [--learn] [--throttle K] [--mitmwatch BIN] [--sbatch ARG] LIST OUTDIR STATE [-- OPTIONS]" >&2
    exit 2
fi
list=$1 out=$2 state=$3
shift 3
[ "${1:-}" = "--" ] && shift
case $per in ''|*[!0-9]*|0) echo "submit.sh: -n: a positive integer" >&2; exit 2 ;; esac
case ${throttle#%} in *[!0-9]*|0) echo "submit.sh: --throttle: a positive integer" >&2; exit 2 ;; esac
mkdir -p "$out/logs" "$out/tasks"
out=$(cd "$out" && pwd)

# Normalized once here, so every task reads the same numbering: PATH TAB VANTAGE.
awk -F'\t' '
    /^[ \t]*(#|$)/ { next }
    NF >= 2 { print $1 "\t" $2; next }
    { n = split($0, f, /[ ]+/); v = ""
      if (n >= 2) { v = f[n]; sub(/[ ]+[^ ]+[ ]*$/, "") }
      print $0 "\t" v }' "$list" > "$out/captures.tsv"
n=$(wc -l < "$out/captures.tsv")
if [ "$n" -eq 0 ]; then
    echo "submit.sh: $list lists no capture" >&2
    exit 2
fi
tasks=$(( (n + per - 1) / per ))
{
    printf 'MW_BIN=%q\n' "$bin"
    printf 'MW_STATE=%q\n' "$state"
    printf 'MW_PER_TASK=%d\n' "$per"
} > "$out/config"
# The extra options NUL-separated: any character survives.
if [ $# -gt 0 ]; then printf '%s\0' "$@"; fi > "$out/args"

sub() { sbatch --parsable "${sb[@]}" "$@" | cut -d';' -f1; }
dep=()
if [ "$learn" -eq 1 ]; then
    lj=$(sub --job-name=mw-learn --array="0-$((tasks - 1))$throttle" \
        --output="$out/logs/learn-%a.log" "$here/mitmwatch-task.sbatch" "$out" learn)
    echo "$lj"
    dep=(--dependency="afterok:$lj")
fi
aj=$(sub --job-name=mw-task "${dep[@]}" --array="0-$((tasks - 1))$throttle" \
    --output="$out/logs/task-%a.log" "$here/mitmwatch-task.sbatch" "$out" analyze)
echo "$aj"
mj=$(sub --job-name=mw-merge --dependency="afterok:$aj" --output="$out/logs/merge.log" \
    "$here/mitmwatch-merge.sbatch" "$out" "$tasks")
echo "$mj"
