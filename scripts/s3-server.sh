#!/usr/bin/env bash
# Starts or stops a moto S3 server on loopback for tests, demos and benchmarks.
#   scripts/s3-server.sh start [PORT]   installs moto if missing, starts it, prints http://127.0.0.1:PORT
#   scripts/s3-server.sh stop [PORT]    stops the server started for PORT
#   scripts/s3-server.sh status [PORT]  exits 0 when it answers
# moto checks no signatures and keeps objects in memory: it proves the protocol flow only.
# The unit tests do not need this script: they start their own moto (Tests/PITRTests/Storage/S3/MotoServer.swift).
set -euo pipefail

command=${1:-}
port=${2:-9000}
state=${TMPDIR:-/tmp}/tailtown-moto-$port
endpoint=http://127.0.0.1:$port

answers() { curl -s -o /dev/null --max-time 1 "$endpoint/moto-api/" ; }

case $command in
start)
    if ! python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null; then
        echo "s3-server: installing moto from PyPI" >&2
        python3 -m pip install --quiet 'moto[s3]' flask flask-cors 2>/dev/null \
            || python3 -m pip install --quiet --break-system-packages 'moto[s3]' flask flask-cors
    fi
    if [[ -f $state.pid ]] && kill -0 "$(cat "$state.pid")" 2>/dev/null; then
        echo "$endpoint"
        exit 0
    fi
    nohup python3 -m moto.server -H 127.0.0.1 -p "$port" >"$state.log" 2>&1 &
    echo $! >"$state.pid"
    for _ in $(seq 1 100); do
        if answers; then
            echo "$endpoint"
            exit 0
        fi
        sleep 0.1
    done
    echo "s3-server: moto did not answer on $endpoint; see $state.log" >&2
    exit 1
    ;;
stop)
    if [[ -f $state.pid ]]; then
        kill "$(cat "$state.pid")" 2>/dev/null || true
        rm -f "$state.pid"
    fi
    ;;
status)
    answers
    ;;
*)
    echo "usage: $0 start|stop|status [PORT]" >&2
    exit 2
    ;;
esac
