#!/usr/bin/env bash
# Start a Docker engine for regsuite's container provider when none answers.
#
# Idempotent: when `docker info` already answers, it exits 0 at once. Otherwise
# it starts `dockerd` in the background with no bridge and no iptables rules
# (containers use host networking; test traffic stays on loopback), waits a
# bounded time for it, and exits non-zero with one line when it cannot.
#
# Environment: DOCKERD_LOG (default /var/log/regsuite-dockerd.log),
#              DOCKERD_TIMEOUT seconds (default 60),
#              DOCKERD_PIDFILE (default /var/run/docker.pid),
#              DOCKERD_LOCK (default /run/regsuite-dockerd.lock).
set -u

log=${DOCKERD_LOG:-/var/log/regsuite-dockerd.log}
timeout=${DOCKERD_TIMEOUT:-60}
pidfile=${DOCKERD_PIDFILE:-/var/run/docker.pid}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if engine_answers; then
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
    echo "start-dockerd: dockerd is not installed (apt-get install -y docker.io)" >&2
    exit 1
fi
if ! command -v docker >/dev/null 2>&1; then
    echo "start-dockerd: the docker CLI is not installed (apt-get install -y docker.io)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "start-dockerd: dockerd must be started as root" >&2
    exit 1
fi

# Another invocation may be starting the engine right now: only one of us launches it.
lock=${DOCKERD_LOCK:-/run/regsuite-dockerd.lock}
exec 9>"$lock"
if ! flock -w "$timeout" 9; then
    echo "start-dockerd: another start is still holding $lock after ${timeout}s" >&2
    exit 1
fi
last_log_line() { tail -n 1 "$log" 2>/dev/null | cut -c1-200; }
if ! engine_answers; then
    started=""
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        : # a dockerd is up but not answering yet: wait for it below instead of starting a second one
    else
        rm -f "$pidfile"
        mkdir -p "$(dirname "$log")"
        setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false --pidfile "$pidfile" \
            >>"$log" 2>&1 </dev/null &
        started=$!
    fi
    deadline=$((SECONDS + timeout))
    until engine_answers; do
        if [ -n "$started" ] && ! kill -0 "$started" 2>/dev/null; then
            echo "start-dockerd: dockerd exited at once; see $log ($(last_log_line))" >&2
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "start-dockerd: the Docker engine did not answer within ${timeout}s; see $log ($(last_log_line))" >&2
            exit 1
        fi
        sleep 0.5
    done
fi
exit 0
