#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for the Slurm test tier (test/slurm), everything under one folder:
# slurm.conf, munge key and socket, state save, spool, logs and pid files. Nothing under /etc, no systemd.
#   usage: scripts/slurm-cluster.sh start DIR   start (or find running) munged + slurmctld + slurmd; prints
#                                                `export SLURM_CONF=DIR/slurm.conf` for the caller
#          scripts/slurm-cluster.sh stop DIR    cancel every job, shut the daemons down, leave nothing running
# Exit codes: 0 ok, 1 failure (see DIR/log/*.log), 3 the Slurm/munge packages are unavailable and cannot be
# installed, or we are not root (the caller skips its tests).
#
# What we found with Debian 12's slurm-wlm 22.05 and munge 0.5.15:
# - Every client (sbatch, squeue, sacct, scontrol, scancel, sinfo) must get SLURM_CONF=DIR/slurm.conf; without
#   a slurm.conf, even `squeue --version` fails (it looks for a config first, then DNS SRV records).
# - `AuthInfo=socket=DIR/munge/munge.socket` in slurm.conf is enough: Slurm's auth/munge and cred/munge plugins pass it
#   to libmunge, so clients and daemons talk to our munged, never the default /run/munge/munge.socket.2.
# - munged needs --force here: DIR/munge is 0700 (only root's clients use this cluster) and munged otherwise refuses
#   a socket folder that not everyone can enter. Key, socket, log, pid and seed files all live in DIR/munge.
# - proctrack/linuxproc + task/none + jobacct_gather/none need no cgroup.conf and no cgroup file system.
# - AccountingStorageType=accounting_storage/none: sacct then fails with "Slurm accounting storage is disabled",
#   and `scontrol show job` keeps finished jobs for MinJobAge seconds (300 here).
# - Jobs still running at stop are cancelled first; slurmstepd outlives slurmd by design, so stop then kills
#   any slurmstepd of this cluster (its cwd is DIR/log) and job process (SLURM_CONF=DIR/slurm.conf and
#   SLURM_JOB_ID in its environment) still there.
set -uo pipefail

cmd=${1:-}
DIR=${2:-}
if [ -z "$cmd" ] || [ -z "$DIR" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
if [ "$cmd" = stop ] && [ ! -d "$DIR" ]; then echo "stopped (no cluster in $DIR)"; exit 0; fi
mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd) || { echo "cannot create $DIR" >&2; exit 1; }
CONF=$DIR/slurm.conf
SOCKET=$DIR/munge/munge.socket
export SLURM_CONF=$CONF

# A live process (a zombie, dead but not yet reaped by init, does not count).
alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st=$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ "$st" != Z ]
}
pidof_file() { [ -s "$1" ] && tr -dc '0-9' <"$1"; }

# Waits up to $1 seconds for the pids given to exit; returns 1 if one is still there.
wait_gone() {
  local t=$1; shift
  local end=$((SECONDS + t)) p any
  while :; do
    any=0
    for p in "$@"; do alive "$p" && any=1; done
    [ $any = 0 ] && return 0
    [ $SECONDS -ge $end ] && return 1
    sleep 0.2
  done
}

# Pids of this cluster's job processes that may outlive the daemons: slurmstepd (it runs in DIR/log and keeps
# DIR/log/slurmd.log open; slurmd gives it a clean environment) and the jobs' own processes (their environment
# has SLURM_JOB_ID and our SLURM_CONF, propagated by sbatch). Never this script or its callers.
marked_pids() {
  local f p env ancestors=" " a=$$
  while [ -n "$a" ] && [ "$a" != 0 ] && [ "$a" != 1 ]; do
    ancestors+="$a "
    a=$(awk '{print $4}' "/proc/$a/stat" 2>/dev/null)
  done
  for f in /proc/[0-9]*; do
    p=${f#/proc/}
    case "$ancestors" in *" $p "*) continue ;; esac
    if [ "$(tr '\0' ' ' 2>/dev/null <"$f/cmdline" | cut -c1-10)" = slurmstepd ]; then
      case "$(readlink "$f/cwd" 2>/dev/null)/" in "$DIR"/*) echo "$p"; continue ;; esac
    fi
    env=$(tr '\0' '\n' 2>/dev/null <"$f/environ") || continue
    if grep -qxF "SLURM_CONF=$CONF" <<<"$env" && grep -q '^SLURM_JOB_ID=' <<<"$env"; then echo "$p"; fi
  done
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null \
    || python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

ensure_packages() {
  local missing=()
  for b in munged slurmctld slurmd; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  for b in sbatch squeue scontrol scancel sinfo sacct; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing slurm-wlm and munge (missing: ${missing[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! timeout 300 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1; then
      timeout 120 apt-get update -qq >/dev/null 2>&1
      timeout 300 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1
    fi
    missing=()
    for b in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
      command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
    done
    [ ${#missing[@]} = 0 ] && return 0
    echo "slurm packages unavailable: apt-get install slurm-wlm munge did not provide ${missing[*]}" >&2
  else
    echo "slurm packages unavailable: ${missing[*]} not installed (needs root and apt-get to install slurm-wlm munge)" >&2
  fi
  exit 3
}

print_env() {
  echo "export SLURM_CONF=$CONF"
  echo "# node $(cat "$DIR/nodename" 2>/dev/null), munge socket $SOCKET, logs in $DIR/log"
}

node_state() { timeout 10 sinfo -h -o %T 2>/dev/null | head -1 | tr -d '*~#'; }

start() {
  PATH=$PATH:/usr/sbin:/sbin
  if [ "$(id -u)" != 0 ]; then
    echo "slurm test cluster unavailable: it needs root (slurmd starts jobs as their owner)" >&2
    exit 3
  fi
  ensure_packages
  if alive "$(pidof_file "$DIR/run/slurmctld.pid")" && alive "$(pidof_file "$DIR/run/slurmd.pid")" \
    && alive "$(pidof_file "$DIR/munge/munged.pid")"; then
    case "$(node_state)" in idle | mixed | allocated | completing) print_env; return 0 ;; esac
  fi
  # A half-started or dead cluster: clear it and start again.
  stop >/dev/null 2>&1
  # Always a fresh cluster: no jobs recovered from an earlier run's state.
  rm -rf "$DIR/state" "$DIR/spool" "$DIR/run"
  mkdir -p "$DIR/munge" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
  chmod 0700 "$DIR" "$DIR/munge"

  # munge: our own key, socket, pid, log and seed file.
  if [ ! -s "$DIR/munge/munge.key" ]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$DIR/munge/munge.key"
  fi
  rm -f "$SOCKET" "$SOCKET.lock"
  munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" \
    --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" \
    2>"$DIR/log/munged.err" || { echo "munged failed to start:" >&2; cat "$DIR/log/munged.err" "$DIR/munge/munged.log" >&2 2>/dev/null; exit 1; }

  local host ctl_port d_port cpus
  host=$(hostname -s 2>/dev/null || hostname)
  host=${host:-localhost}
  echo "$host" >"$DIR/nodename"
  ctl_port=$(free_port); d_port=$(free_port)
  while [ "$d_port" = "$ctl_port" ]; do d_port=$(free_port); done
  cpus=$(nproc)
  cat >"$CONF" <<EOF
# Generated by scripts/slurm-cluster.sh: a throwaway single-node test cluster.
ClusterName=rltest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$host NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Default=YES Nodes=ALL MaxTime=INFINITE State=UP
EOF

  slurmctld -f "$CONF" 2>"$DIR/log/slurmctld.err" \
    || { echo "slurmctld failed to start:" >&2; tail -20 "$DIR/log/slurmctld.err" "$DIR/log/slurmctld.log" >&2 2>/dev/null; exit 1; }
  slurmd -f "$CONF" -N "$host" 2>"$DIR/log/slurmd.err" \
    || { echo "slurmd failed to start:" >&2; tail -20 "$DIR/log/slurmd.err" "$DIR/log/slurmd.log" >&2 2>/dev/null; exit 1; }

  local end=$((SECONDS + 60)) st=""
  while [ $SECONDS -lt $end ]; do
    st=$(node_state)
    [ "$st" = idle ] && { print_env; return 0; }
    sleep 0.5
  done
  echo "the node did not become idle within 60 s (state: ${st:-none}); logs in $DIR/log" >&2
  tail -20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 2>/dev/null
  exit 1
}

stop() {
  PATH=$PATH:/usr/sbin:/sbin
  local ctl d mu p pids
  ctl=$(pidof_file "$DIR/run/slurmctld.pid"); d=$(pidof_file "$DIR/run/slurmd.pid"); mu=$(pidof_file "$DIR/munge/munged.pid")
  if alive "$ctl" && [ -f "$CONF" ]; then
    # Cancel every job, so slurmstepd ends its processes, and wait (briefly) for the queue to drain.
    ids=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      timeout 10 scancel $ids >/dev/null 2>&1
      local end=$((SECONDS + 20))
      while [ $SECONDS -lt $end ] && [ -n "$(timeout 10 squeue -h -o %A 2>/dev/null)" ]; do sleep 0.3; done
    fi
    timeout 10 scontrol shutdown >/dev/null 2>&1
  fi
  for p in "$d" "$ctl"; do alive "$p" && wait_gone 15 "$p"; done
  for p in "$d" "$ctl"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
  for p in "$d" "$ctl"; do alive "$p" && { wait_gone 10 "$p" || kill -KILL "$p" 2>/dev/null; }; done
  # Leftover slurmstepd processes of this cluster, and their job processes.
  pids=$(marked_pids)
  for p in $pids; do [ "$p" != "$mu" ] && kill -KILL "$p" 2>/dev/null; done
  if alive "$mu"; then
    kill -TERM "$mu" 2>/dev/null
    wait_gone 10 "$mu" || kill -KILL "$mu" 2>/dev/null
  fi
  # shellcheck disable=SC2046
  wait_gone 5 $d $ctl $mu $(marked_pids) >/dev/null 2>&1
  rm -f "$DIR/run/"*.pid "$DIR/munge/munged.pid" "$SOCKET" "$SOCKET.lock"
  echo "stopped"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
