#!/usr/bin/env bash
# Stop the running release, if any. Must succeed when nothing runs (first deployment).
set -u
pidfile="$BATON_INSTANCE_ROOT/var/run/hello.pid"
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
fi
echo "stopped hello on instance $BATON_INSTANCE_ID"
