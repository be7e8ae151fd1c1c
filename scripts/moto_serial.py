#!/usr/bin/env python3
"""moto_server with one request at a time, for the AWS adapter tests.

moto's threaded server checks a conditional write and stores the item in two steps that other
requests' threads can run between: under CPU load two `PutItem ... version = :v` both succeed
and one update is lost (measured: 1 lost in ~80 contended writes with four busy loops on two
cores). DynamoDB and S3 apply a condition and its write atomically, and Baton's lanes, version
counters and claims rely on that. Serving one request at a time restores it; clients still
interleave between requests, so every contended path is still exercised.

Same options as moto_server (-H HOST, -p PORT).
"""

import argparse
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()

    moto = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serial(environ, start_response):
        # The body is read out under the lock too: a lazy response would run moto code after it.
        with one_at_a_time:
            return list(moto(environ, start_response))

    run_simple(args.host, args.port, serial, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
