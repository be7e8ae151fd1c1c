#!/usr/bin/env python3
"""Runs state machine cases through moto's Step Functions interpreter, for Baton's differential test.

Reads cases (JSON list of {id, definition, input}) on stdin, starts a moto server on a free
127.0.0.1 port with state machine execution switched on (POST /moto-api/config), runs every case
through boto3, prints one JSON list of {id, status, output, error, cause}, and stops the server.
"""

import json
import logging
import socket
import sys
import time
import urllib.request

import boto3
from moto.server import ThreadedMotoServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    cases = json.load(sys.stdin)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        req = urllib.request.Request(
            f"{endpoint}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(req).read()
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        results = []
        # Every case uses the state machine name "m", as Baton's side does, so context object
        # values agree; each machine is deleted after its execution.
        for n, case in enumerate(cases):
            results.append(run(sfn, n, case))
        json.dump(results, sys.stdout)
    finally:
        server.stop()


def run(sfn, n, case):
    out = {"id": case["id"]}
    try:
        arn = sfn.create_state_machine(
            name="m",
            definition=json.dumps(case["definition"]),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
    except Exception as e:  # a definition moto refuses
        out.update(status="REJECTED", error=type(e).__name__, cause=str(e))
        return out
    execution = sfn.start_execution(stateMachineArn=arn, name="e", input=json.dumps(case["input"]))["executionArn"]
    deadline = time.monotonic() + case.get("timeout", 20)
    while True:
        d = sfn.describe_execution(executionArn=execution)
        if d["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    out["status"] = d["status"]
    if d.get("stopDate"):
        out["seconds"] = (d["stopDate"] - d["startDate"]).total_seconds()
    try:
        out["output"] = json.loads(d["output"]) if d.get("output") else None
    except ValueError:  # moto reports a string output without JSON quotes; it is that string
        out["output"] = d["output"]
    out["error"] = d.get("error")
    out["cause"] = d.get("cause")
    sfn.delete_state_machine(stateMachineArn=arn)
    return out


if __name__ == "__main__":
    main()
