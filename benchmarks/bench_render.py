"""Benchmark: rendering every Kubernetes layer of the production example (cluster, platform, chain) with
playbooks/render.yml, the way an operator reviews a change (preflight included).

  render_all_layers_s=<s>        wall time of one render (target <= 30 s on a 2-core machine)
  render_all_layers_files=<n>    files rendered
  render_rerender_identical=<0|1> a second render into another folder is byte-identical

Exit status 1 when the render fails, renders no file of a layer, or differs on the second run.
"""

import filecmp
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ("cluster", "platform", "chain")


def render(dest):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"))
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "playbooks/render.yml", "-i", "inventories/production-example",
           "-e", "chainops_render_dir=%s" % dest]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    took = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-2000:])
        sys.exit(1)
    return took


def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _s, fs in os.walk(root) for f in fs)


def main():
    # a folder of its own below the repository's build/ (the preflight refuses shared temporary directories)
    base = os.path.join(REPO, "build")
    os.makedirs(base, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="bench-render-") as tmp:
        os.chmod(tmp, 0o700)
        first, second = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        took = render(first)
        render(second)
        names = files(first)
        if any(not [n for n in names if n.startswith(layer + os.sep)] for layer in LAYERS):
            sys.stderr.write("a layer rendered no file: %s\n" % names)
            sys.exit(1)
        _match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
        identical = int(files(second) == names and not mismatch and not errors)
        print("render_all_layers_s=%.1f" % took)
        print("render_all_layers_files=%d" % len(names))
        print("render_rerender_identical=%d" % identical)
        if not identical:
            sys.exit(1)


if __name__ == "__main__":
    main()
