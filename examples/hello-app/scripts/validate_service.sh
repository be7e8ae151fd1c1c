#!/usr/bin/env bash
# Healthy within about 5 seconds, or the deployment to this instance fails.
set -u
exec python3 - "http://127.0.0.1:$BATON_INSTANCE_PORT/health" <<'PY'
import sys, time, urllib.request
url = sys.argv[1]
deadline = time.monotonic() + 5
last = "no answer"
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                print(f"healthy: {url}")
                sys.exit(0)
    except Exception as e:
        last = e
    time.sleep(0.1)
print(f"unhealthy: {url}: {last}", file=sys.stderr)
sys.exit(1)
PY
