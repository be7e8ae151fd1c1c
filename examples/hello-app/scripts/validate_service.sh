#!/usr/bin/env bash
# Healthy within 10 seconds, or the deployment to this instance fails.
set -u
url="http://127.0.0.1:$BATON_INSTANCE_PORT/health"
for _ in $(seq 100); do
  if python3 - "$url" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
  then
    echo "healthy: $url"
    exit 0
  fi
  sleep 0.1
done
echo "unhealthy: $url" >&2
exit 1
