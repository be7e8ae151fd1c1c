#!/usr/bin/env python3
"""Writes the committed seed corpus (seeds/<target>/) from the repository's own examples and the
interpreter's conformance cases, plus a few hand-written shapes. Run from anywhere; idempotent."""

import hashlib
import json
import re
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CONFORMANCE = ROOT / "shared" / "asl" / "tests" / "conformance"


def seed(target: str, data: str) -> None:
    d = FUZZ / "seeds" / target
    d.mkdir(parents=True, exist_ok=True)
    raw = data.encode()
    (d / hashlib.sha1(raw).hexdigest()[:16]).write_bytes(raw)


def walk(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


example = ROOT / "examples" / "hello-app"
seed("pipeline_yml", (example / "pipeline.yml").read_text())
seed("pipeline_yml", "name: p\nexecution_mode: QUEUED\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build, outputs: [app] }\n  - name: Ship\n    actions:\n      - { name: Ok, type: approval, timeout: 1h }\n      - { name: Deploy, type: deploy, input: app, group: web, run_order: 2 }\ndeployment_groups:\n  web: { instances: 2, config: HalfAtATime }\n")
for f in ("buildspec.yml", "lint.buildspec.yml"):
    seed("buildspec", (example / f).read_text())
seed("buildspec", "version: 0.2\nenv:\n  variables: { A: '1' }\n  exported-variables: [A]\nphases:\n  install:\n    runtime-versions: { python: 3.12 }\n  build:\n    on-failure: CONTINUE\n    commands: [make]\n    finally: [echo done]\nreports:\n  unit:\n    files: ['**/*.xml']\n    file-format: JUNITXML\nartifacts:\n  files: ['**/*']\n  base-directory: out\n")
seed("appspec", (example / "appspec.yml").read_text())
seed("appspec", "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: f\n        Alias: live\n        CurrentVersion: '1'\n        TargetVersion: '2'\nHooks:\n  - BeforeAllowTraffic: check\n")

for case_file in sorted(CONFORMANCE.glob("*.json")):
    for case in json.loads(case_file.read_text()):
        definition = case.get("definition")
        if definition is None:
            continue
        seed("asl_definition", json.dumps(definition, indent=1))
        doc = json.dumps(case.get("input", {}))
        for key, value in walk(definition):
            if not isinstance(value, str):
                continue
            if value.startswith("States."):
                seed("intrinsics", f"{value}\n{doc}")
            elif value.startswith("$") and isinstance(key, str) and (key.endswith(".$") or key.endswith("Path")):
                seed("jsonpath", f"{value}\n{doc}")
            for expr in re.findall(r"\{%(.*?)%\}", value, re.S):
                seed("jsonata", expr.strip())

for event in [
    {"detail-type": "CodeBuild Build State Change", "build_id": "p-Make:1", "correlation": "e/Build:Make/0", "status": "SUCCEEDED",
     "outputs": [{"name": "app", "location": "/tmp/out"}], "variables": {"V": "1"}, "reason": None, "log": None},
    {"detail-type": "CodeDeploy Deployment State-change Notification", "deployment_id": "d-1", "correlation": "e/Ship:Deploy/0",
     "group": "web", "status": "Failed", "reason": "ValidateService failed"},
    {"detail-type": "CloudWatch Alarm State Change", "alarm": "a", "state": "ALARM", "previous": "OK", "reason": "threshold"},
    {"detail-type": "Baton Approval Answered", "execution_id": "e", "action": "Ship:Ok", "approved": True, "approver": "me", "comment": "lgtm"},
    {"detail-type": "Step Functions Execution Status Change", "execution_id": "e", "status": "ABORTED"},
]:
    seed("inbound_events", json.dumps(event))
for text in ["rate(5 minutes)", "cron(0 12 * * ? *)", "cron(15 10 ? * MON-FRI *)", "90s", "1h30m", "2d"]:
    seed("inbound_events", text)

# The pipelines and buildspecs the integration tests write, as Rust string literals.
for test in sorted((ROOT / "tests" / "integration").glob("*.rs")):
    for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', test.read_text()):
        text = literal.encode().decode("unicode_escape", errors="ignore")
        if text.startswith("name: ") and "stages:" in text:
            seed("pipeline_yml", text)
        elif text.startswith("version: 0.2"):
            seed("buildspec", text)
        elif text.startswith("version: 0.0"):
            seed("appspec", text)
