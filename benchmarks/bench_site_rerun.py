"""Benchmark: the whole site.yml on the lab, first converge vs a no-op second run.

Recreates the lab hosts (scripts/lab.sh down, then start: fresh containers, so the first converge really is a
first one), runs `ansible-playbook site.yml -i inventories/lab` twice with the repository's ansible.cfg and
prints:

  site_first_converge_s=<s>
  site_rerun_s=<s>
  site_rerun_changed=<number of changed tasks in the second run; must be 0>
  site_rerun_ratio=<rerun / first>       (target <= 0.3)
  site_rerun_loadavg=<1-minute load average before the first run / after it / after the second run>

The two runs go back to back; on a shared machine the ratio moves with the load, hence the load averages. With
--rounds N the lab is recreated N times and the figures are those of the round with the lowest ratio (every round
is logged). With --profile the second run has ansible.posix.profile_tasks enabled and its slowest tasks are logged.
The lab is left running afterwards, as `make lab` leaves it (--down removes it). Exit status 1 when a run fails
or a second run changed anything.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _podman_ns import in_podman_namespace

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.3


def log(msg):
    print("bench_site_rerun: %s" % msg, file=sys.stderr, flush=True)


def lab(action):
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "lab.sh"), action], cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("scripts/lab.sh %s failed:\n%s\n%s" % (action, proc.stdout[-2000:], proc.stderr[-2000:]))


def loadavg():
    try:
        with open("/proc/loadavg") as handle:
            return handle.read().split()[0]
    except OSError:
        return "?"


def site(label, profile=False):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PATH="%s:%s" % (ROOT / ".venv" / "bin", os.environ.get("PATH", "")),
    )
    if profile:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "chainops.ethereum.run_summary,ansible.posix.profile_tasks"
        env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "15"
    start = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "inventories/lab", "site.yml"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    elapsed = time.monotonic() - start
    recap = proc.stdout[proc.stdout.rfind("PLAY RECAP"):] if "PLAY RECAP" in proc.stdout else ""
    changed = sum(int(n) for n in re.findall(r"\bchanged=(\d+)", recap))
    failed = sum(int(n) for n in re.findall(r"\b(?:failed|unreachable)=(\d+)", recap))
    if proc.returncode != 0 or failed or not recap:
        log("%s run failed (rc %d):\n%s\n%s" % (label, proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
        return None, changed, proc.stdout
    log("%s run: %.1fs, %d changed" % (label, elapsed, changed))
    return elapsed, changed, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down", action="store_true", help="remove the lab afterwards")
    parser.add_argument("--rounds", type=int, default=1, help="recreate the lab and measure this many times (best ratio kept)")
    parser.add_argument("--profile", action="store_true", help="log the slowest tasks of each second run (profile_tasks)")
    args = parser.parse_args()
    in_podman_namespace(__file__)
    if not shutil.which("podman"):
        log("podman is not installed (scripts/bootstrap.sh installs it)")
        return 1
    try:
        best = None
        for round_no in range(1, args.rounds + 1):
            log("round %d/%d: recreating the lab hosts" % (round_no, args.rounds))
            lab("down")
            lab("start")
            load = [loadavg()]
            first, _changed, _out = site("first")
            if first is None:
                return 1
            load.append(loadavg())
            rerun, changed, out = site("second", profile=args.profile)
            if rerun is None:
                return 1
            load.append(loadavg())
            log("round %d: first %.1fs, second %.1fs, ratio %.3f, load %s" % (round_no, first, rerun, rerun / first, "/".join(load)))
            if args.profile and "TASKS RECAP" in out:
                log("slowest tasks of the second run:\n%s" % out[out.rfind("TASKS RECAP"):].strip())
            if changed:
                names = re.findall(r"^changed: \[[^\]]+\].*$|^TASK \[(.+?)\]", out, re.M)
                log("the second run changed %d task(s); site.yml is not idempotent (%s)" % (changed, [n for n in names if n][-20:]))
                return 1
            if best is None or rerun / first < best[1] / best[0]:
                best = (first, rerun, load)
        first, rerun, load = best
        print("site_first_converge_s=%.1f" % first)
        print("site_rerun_s=%.1f" % rerun)
        print("site_rerun_changed=0")
        print("site_rerun_ratio=%.3f" % (rerun / first))
        print("site_rerun_loadavg=%s" % "/".join(load))
        if rerun / first > TARGET:
            log("site_rerun_ratio %.3f is above the target %.1f" % (rerun / first, TARGET))
        return 0
    finally:
        if args.down:
            lab("down")


if __name__ == "__main__":
    sys.exit(main())
