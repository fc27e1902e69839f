"""Benchmark: the whole site.yml on the lab, first converge vs a no-op second run.

Recreates the lab hosts (scripts/lab.sh down, then start: fresh containers, so the first converge really is a
first one), runs `ansible-playbook site.yml -i inventories/lab` twice with the repository's ansible.cfg and
prints:

  site_first_converge_s=<s>
  site_rerun_s=<s>
  site_rerun_changed=<number of changed tasks in the second run; must be 0>
  site_rerun_ratio=<rerun / first>       (target <= 0.3)

The lab is left running afterwards, as `make lab` leaves it (--down removes it). Exit status 1 when a run fails
or the second run changed anything.
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


def site(label):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PATH="%s:%s" % (ROOT / ".venv" / "bin", os.environ.get("PATH", "")),
    )
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
    args = parser.parse_args()
    in_podman_namespace(__file__)
    if not shutil.which("podman"):
        log("podman is not installed (scripts/bootstrap.sh installs it)")
        return 1
    try:
        log("recreating the lab hosts")
        lab("down")
        lab("start")
        first, _changed, _out = site("first")
        if first is None:
            return 1
        rerun, changed, out = site("second")
        if rerun is None:
            return 1
        print("site_first_converge_s=%.1f" % first)
        print("site_rerun_s=%.1f" % rerun)
        print("site_rerun_changed=%d" % changed)
        print("site_rerun_ratio=%.3f" % (rerun / first))
        if changed:
            names = re.findall(r"^changed: \[[^\]]+\].*$|^TASK \[(.+?)\]", out, re.M)
            log("the second run changed %d task(s); site.yml is not idempotent (%s)" % (changed, [n for n in names if n][-20:]))
            return 1
        if rerun / first > TARGET:
            log("site_rerun_ratio %.3f is above the target %.1f" % (rerun / first, TARGET))
        return 0
    finally:
        if args.down:
            lab("down")


if __name__ == "__main__":
    sys.exit(main())
