"""hello-app: a tiny HTTP service. GET / greets, GET /health reports health and version."""

import argparse
import json
import os
import random
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Flip to False to ship a broken release: /health then answers 500 and the pipeline's
# ValidateService hook catches it.
HEALTHY = True

# Set to a number of seconds to ship a release that degrades after it started: it passes
# ValidateService, then /health answers 500, and the staging-health alarm catches it in the bake.
DEGRADE_AFTER_SECONDS = None

# Set to a number of milliseconds to ship a release that answers GET / that much slower: no
# health check or alarm notices, a canary analysis does (docs/canary-analysis.md).
SLOWER_BY_MS = 0

# Set to a percentage to ship a release that answers that share of GET / with 500.
ERROR_PERCENT = 0

# Set both to ship a service that answers GET / COLD_MS slower for its first COLD_FOR_SECONDS,
# as one with cold caches does: judged against long-running instances, a new release of it
# looks slower for being new; against a fresh baseline it does not (docs/canary-analysis.md).
COLD_MS = 0
COLD_FOR_SECONDS = 0

STARTED = time.monotonic()


def healthy() -> bool:
    if not HEALTHY:
        return False
    return DEGRADE_AFTER_SECONDS is None or time.monotonic() - STARTED < DEGRADE_AFTER_SECONDS


def greeting(name: str) -> str:
    return f"{os.environ.get('GREETING', 'hello')}, {name}!"


def build_info() -> dict:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/health":
            ok = healthy()
            body = {"status": "ok" if ok else "broken", "version": self.server.version, **build_info()}
            self.reply(200 if ok else 500, body)
        elif self.path == "/":
            time.sleep(SLOWER_BY_MS / 1000)
            if time.monotonic() - STARTED < COLD_FOR_SECONDS:
                time.sleep(COLD_MS / 1000)
            if random.random() * 100 < ERROR_PERCENT:
                self.reply(500, {"error": "injected"})
            else:
                self.reply(200, {"message": greeting("world")})
        else:
            self.reply(404, {"error": "not found"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--version", default="unknown")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.version = args.version
    server.serve_forever()


if __name__ == "__main__":
    main()
