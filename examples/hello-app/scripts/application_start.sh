#!/usr/bin/env bash
# Start the release in the background; its output goes to a log file, never to this hook's
# stdout, so the hook ends as soon as the server is launched.
set -eu
root="$BATON_INSTANCE_ROOT"
nohup python3 "$root/opt/hello/app.py" --port "$BATON_INSTANCE_PORT" --version "$BATON_ARTIFACT_VERSION" \
  >>"$root/var/log/hello.log" 2>&1 </dev/null &
echo $! >"$root/var/run/hello.pid"
echo "started hello (pid $!) on 127.0.0.1:$BATON_INSTANCE_PORT"
