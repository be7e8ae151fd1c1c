#!/usr/bin/env python3
"""SIGKILL soak: kill `baton run` at random points of the example pipeline, resume each run, and
check that nothing was lost, corrupted or done twice.

Each round starts `baton run` on a copy of examples/hello-app, kills it with SIGKILL after a
random delay within one run's duration (measured first, unkilled), then runs `baton resume`.
At the end every execution is checked against the state directory:

  * terminal state: SUCCEEDED (the example succeeds when nothing interferes), nothing RUNNING
  * history: one ExecutionStarted, ids without gaps, ends with ExecutionSucceeded
  * builds: exactly one SUCCEEDED build per action (a build killed with its runner ends FAULT)
  * deployments: exactly one Succeeded deployment, no failed one, no rollback
  * artifacts: one version per name per execution, each read back by `baton artifacts get`,
    which verifies sizes and the digest

Usage: scripts/soak.py [--runs 100] [--seed N] [--bake 1s] [--baton target/release/baton]
Exit status 0 when every execution is correct. Only loopback is used (the example's instances).
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, text=True, capture_output=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bake", default="1s", help="the example's bake duration (shorter rounds); 'keep' leaves it")
    ap.add_argument("--baton", default=None, help="the baton binary [default: build target/release/baton]")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)

    baton = args.baton
    if baton is None:
        print("building baton (release)…", flush=True)
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "baton"], cwd=ROOT, check=True)
        baton = str(ROOT / "target" / "release" / "baton")

    work = Path(tempfile.mkdtemp(prefix="baton-soak-"))
    project = work / "hello-app"
    shutil.copytree(ROOT / "examples" / "hello-app", project, ignore=shutil.ignore_patterns(".baton"))
    if args.bake != "keep":
        text = (project / "pipeline.yml").read_text()
        (project / "pipeline.yml").write_text(text.replace("duration: 6s", f"duration: {args.bake}"))
    env = {k: v for k, v in os.environ.items() if k != "BATON_STATE_DIR"}
    env["NO_COLOR"] = "1"

    try:
        t = time.monotonic()
        first = subprocess.run([baton, "run", str(project), "--json"], env=env, capture_output=True, text=True)
        span = time.monotonic() - t
        if first.returncode != 0:
            print(first.stdout, first.stderr, file=sys.stderr)
            print("the calibration run failed; nothing to soak", file=sys.stderr)
            return 1
        print(f"seed {seed}; one unkilled run takes {span:.2f} s; {args.runs} rounds, each killed within that span", flush=True)

        killed = finished_first = 0
        landed = {}
        resumed_codes = {}
        for i in range(args.runs):
            delay = rng.uniform(0, span)
            runner = subprocess.Popen([baton, "run", str(project), "--json"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                runner.wait(timeout=delay)
                finished_first += 1
            except subprocess.TimeoutExpired:
                runner.send_signal(signal.SIGKILL)
                runner.wait()
                killed += 1
                where = in_flight(project)
                landed[where] = landed.get(where, 0) + 1
            resume = subprocess.run([baton, "resume", "--pipeline", str(project), "--json"], env=env,
                                    capture_output=True, text=True, timeout=600)
            resumed_codes[resume.returncode] = resumed_codes.get(resume.returncode, 0) + 1
            if resume.returncode not in (0, 2):
                print(f"round {i}: baton resume exited {resume.returncode}\n{resume.stderr}", file=sys.stderr)
            print(f"\rround {i + 1}/{args.runs}: killed after {delay:5.2f} s", end="", flush=True)
        print()

        report = check(baton, project, env)
        report.update({"seed": seed, "rounds": args.runs, "killed": killed,
                       "ended_before_the_kill": finished_first,
                       "killed_in_state": dict(sorted(landed.items(), key=lambda kv: -kv[1])),
                       "resume_exit_codes": resumed_codes, "run_seconds": round(span, 2)})
        print(json.dumps(report, indent=2))
        ok = not report["incorrect"] and not report["corrupt_artifacts"] and not report["duplicated"]
        print(f"{report['correct']}/{report['executions']} executions correct, "
              f"{len(report['corrupt_artifacts'])} corrupt artifacts, {len(report['duplicated'])} duplicated effects")
        return 0 if ok else 1
    finally:
        subprocess.run([baton, "down", str(project)], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def in_flight(project: Path) -> str:
    """The state the newest execution was last entering when its runner was killed."""
    db = sqlite3.connect(project / ".baton" / "baton.db")
    try:
        row = db.execute(
            "SELECT json_extract(event, '$.stateEnteredEventDetails.name') FROM history "
            "WHERE execution_id = (SELECT id FROM executions ORDER BY rowid DESC LIMIT 1) "
            "AND type LIKE '%StateEntered' ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        db.close()
    return row[0] if row and row[0] else "(before the first state)"


def check(baton: str, project: Path, env: dict) -> dict:
    db = sqlite3.connect(project / ".baton" / "baton.db")
    executions = [r[0] for r in db.execute("SELECT id FROM executions ORDER BY rowid")]
    incorrect, duplicated, corrupt = [], [], []
    for ex in executions:
        problems = []
        status, error = db.execute("SELECT status, error FROM executions WHERE id = ?", (ex,)).fetchone()
        if status != "SUCCEEDED":
            problems.append(f"status {status} ({error})")
        history = db.execute("SELECT id, type FROM history WHERE execution_id = ? ORDER BY id", (ex,)).fetchall()
        ids = [h[0] for h in history]
        kinds = [h[1] for h in history]
        if ids != list(range(1, len(ids) + 1)):
            problems.append("history ids have gaps or repeats")
        if kinds.count("ExecutionStarted") != 1 or not kinds or kinds[-1] != "ExecutionSucceeded":
            problems.append(f"history does not run from one start to success (last: {kinds[-1:]})")
        for action, n in db.execute(
                "SELECT action, COUNT(*) FROM builds WHERE execution_id = ? AND status = 'SUCCEEDED' GROUP BY action", (ex,)):
            if n != 1:
                duplicated.append(f"{ex}: {n} successful builds of {action}")
        actions = {r[0] for r in db.execute("SELECT DISTINCT action FROM builds WHERE execution_id = ? AND status = 'SUCCEEDED'", (ex,))}
        if actions != {"Build:Compile", "Build:Lint"}:
            problems.append(f"successful builds: {sorted(actions)}")
        deployed = db.execute(
            "SELECT status, rollback FROM deployments WHERE execution_id = ?", (ex,)).fetchall()
        good = [d for d in deployed if d == ("Succeeded", 0)]
        if len(good) > 1:
            duplicated.append(f"{ex}: {len(good)} successful deployments")
        if len(good) == 0 or any(s == "Failed" or rb for s, rb in deployed):
            problems.append(f"deployments: {deployed}")
        for name, n in db.execute(
                "SELECT name, COUNT(*) FROM artifacts WHERE json_extract(manifest, '$.provenance.execution_id') = ? GROUP BY name", (ex,)):
            if n != 1:
                duplicated.append(f"{ex}: {n} versions of {name}")
        if problems:
            incorrect.append({"execution": ex, "problems": problems})
    with tempfile.TemporaryDirectory() as out:
        for name, version in db.execute("SELECT name, version FROM artifacts ORDER BY name, version"):
            target = Path(out) / f"{name}-{version}"
            got = subprocess.run([baton, "artifacts", "get", f"{name}@{version}", "-o", str(target),
                                  "--pipeline", str(project)], env=env, capture_output=True, text=True)
            if got.returncode != 0:
                corrupt.append(f"{name}@{version}: {got.stderr.strip()}")
    verified = db.execute("SELECT COUNT(*) FROM artifacts").fetchone()[0] - len(corrupt)
    return {"executions": len(executions), "correct": len(executions) - len(incorrect), "incorrect": incorrect,
            "duplicated": duplicated, "corrupt_artifacts": corrupt, "artifacts_verified": verified}


if __name__ == "__main__":
    sys.exit(main())
