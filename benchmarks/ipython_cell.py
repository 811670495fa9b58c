"""What the IPython extension adds to each cell, next to ``%autoreload 2``.

Usage: ``python benchmarks/ipython_cell.py [--sizes 10,1000,5000] [--repeat 7]``

For each size N, one fresh subprocess imports N generated small modules
(packages of 100, from a new temporary folder: the only root qtreload
watches), creates a real ``InteractiveShell`` and measures, with nothing
changed on disk:

- **callbacks**: the event callbacks each extension registers, called as IPython
  calls them around a cell (``pre_run_cell``, ``post_run_cell`` and
  ``post_execute``, for the cell ``x = 1``): ``%load_ext qtreload`` first, then
  (after ``%unload_ext qtreload``) ``%load_ext autoreload`` + ``%autoreload 2``.
  This is the extension's own cost per cell, timed with ``timeit`` loops
  (garbage collector off), calibrated to at least 30 ms a repeat; median and
  min - max over the repeats.
- (``%autoreload 2`` looks at every module of ``sys.modules``, qtreload's own and
  IPython's included: the table gives that count next to N.)
- **cell**: a whole ``shell.run_cell("x = 1")`` with no extension, with qtreload
  and with ``%autoreload 2`` (IPython's own work included, which is most of it).

Prints a markdown table. Needs IPython (``pip install -e ".[bench]"``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import calibrate, env_for_worker, write_small_tree  # noqa: E402

CELL = "x = 1"


def _per_call_us(func, repeat: int) -> list[float]:
    timer = timeit.Timer(func)
    number = calibrate(timer, 0.03)
    return [t / number * 1e6 for t in timer.repeat(repeat, number)]


def worker(n: int, repeat: int) -> dict:
    """In a fresh process: N modules imported, then each extension's cost per cell."""
    import importlib

    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    import qtreload

    root = Path(tempfile.mkdtemp(prefix="qtreload-bench-ipy-"))
    qtreload.configure(roots=[str(root)])
    names = write_small_tree(root, n)
    sys.path.insert(0, str(root))
    for name in names:
        importlib.import_module(name)
    shell = InteractiveShell.instance()
    info = ExecutionInfo(CELL, True, False, True, None)
    result = ExecutionResult(info)
    events = ("pre_run_cell", "post_run_cell", "post_execute")

    def callbacks() -> dict[str, list]:
        return {e: list(shell.events.callbacks[e]) for e in events}

    def cost_of(before: dict[str, list]) -> list[float]:
        added = {e: [c for c in shell.events.callbacks[e] if c not in before[e]] for e in events}
        args = {"pre_run_cell": (info,), "post_run_cell": (result,), "post_execute": ()}

        def one_cell() -> None:
            for event in events:
                for callback in added[event]:
                    callback(*args[event])

        return _per_call_us(one_cell, repeat)

    def cell_us() -> list[float]:
        return _per_call_us(lambda: shell.run_cell(CELL), repeat)

    out: dict = {"n": n, "sys.modules": len(sys.modules)}
    out["cell none"] = cell_us()
    before = callbacks()
    shell.run_cell("%load_ext qtreload")
    watched = len(qtreload.reloader.watched())
    assert watched >= n, f"only {watched} of {n} modules watched"
    out["callbacks qtreload"] = cost_of(before)
    out["cell qtreload"] = cell_us()
    shell.run_cell("%unload_ext qtreload")
    before = callbacks()
    shell.run_cell("%load_ext autoreload")
    shell.run_cell("%autoreload 2")
    out["callbacks autoreload"] = cost_of(before)
    out["cell autoreload"] = cell_us()
    return out


def _fmt(samples: list[float]) -> str:
    med = statistics.median(samples)
    unit, scale = ("ms", 1e-3) if med >= 1000 else ("µs", 1.0)
    return (f"{med * scale:.3g} {unit} ({min(samples) * scale:.3g} – "
            f"{max(samples) * scale:.3g})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000,5000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeat)))
        return 0
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        env = env_for_worker(HERE.parent, pyc=False)
        done = subprocess.run([sys.executable, __file__, "--worker", str(n),
                               "--repeat", str(args.repeat)], env=env, capture_output=True,
                              text=True, check=False, cwd=tempfile.gettempdir())
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| modules (in sys.modules) | qtreload: callbacks per cell "
          "| %autoreload 2: callbacks per cell | whole cell: none / qtreload / %autoreload 2 |")
    print("|---|---|---|---|")
    for r in rows:
        whole = " / ".join(f"{statistics.median(r[f'cell {k}']):.0f}"
                           for k in ("none", "qtreload", "autoreload"))
        print(f"| {r['n']:,} ({r['sys.modules']:,}) | {_fmt(r['callbacks qtreload'])} | "
              f"{_fmt(r['callbacks autoreload'])} | {whole} µs |")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"medians over {args.repeat} repeats, (min – max)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
