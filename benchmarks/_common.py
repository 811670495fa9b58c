"""Helpers shared by the benchmark driver and its worker subprocesses.

Timing, statistics, generated module trees, and the cProfile summary. Nothing
here imports qtreload or Qt: a worker decides what it imports, and when.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

# -- statistics -----------------------------------------------------------------


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, min, max and interquartile range of ``samples`` (kept too)."""
    s = sorted(samples)
    if len(s) >= 4:
        q1, _, q3 = statistics.quantiles(s, n=4)
    else:
        q1, q3 = s[0], s[-1]
    return {
        "median": statistics.median(s),
        "min": s[0],
        "max": s[-1],
        "q1": q1,
        "q3": q3,
        "n": len(s),
        "samples": samples,
    }


def record(scenario: str, name: str, params: dict, unit: str, samples: list[float],
           **extra: Any) -> dict[str, Any]:
    """One measurement row: what was measured, under which parameters, and its samples."""
    row = {"scenario": scenario, "name": name, "params": params, "unit": unit}
    row.update(summary(samples))
    row.update(extra)
    return row


# -- timing ---------------------------------------------------------------------


def calibrate(timer: timeit.Timer, min_seconds: float) -> int:
    """Loops per repeat so one repeat takes at least ``min_seconds`` (like timeit's autorange)."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_seconds:
            return number
        # Aim a bit past the target so the next try usually lands.
        number = max(number * 2, int(number * min_seconds * 1.3 / max(elapsed, 1e-9)))


def per_call_ns(stmt: str, namespace: dict, repeat: int, min_seconds: float,
                number: int | None = None) -> tuple[list[float], int]:
    """ns per execution of ``stmt``: one sample per repeat, each of ``number`` loops.

    timeit turns the garbage collector off while it times, as usual.
    """
    timer = timeit.Timer(stmt, globals=namespace)
    if number is None:
        number = calibrate(timer, min_seconds)
    return [t * 1e9 / number for t in timer.repeat(repeat, number)], number


def paired_ns(stmts: dict[str, str], namespace: dict, repeat: int,
              min_seconds: float) -> dict[str, list[float]]:
    """Time several statements interleaved, repeat by repeat (so drift hits all alike)."""
    timers = {k: timeit.Timer(s, globals=namespace) for k, s in stmts.items()}
    numbers = {k: calibrate(t, min_seconds) for k, t in timers.items()}
    out: dict[str, list[float]] = {k: [] for k in stmts}
    for _ in range(repeat):
        for k, t in timers.items():
            out[k].append(t.timeit(numbers[k]) * 1e9 / numbers[k])
    return out


# -- cProfile -------------------------------------------------------------------


def profile_summary(func: Callable[[], Any], limit: int = 10) -> str:
    """Run ``func`` under cProfile; the top functions by cumulative and by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        func()
    finally:
        profiler.disable()
    parts = []
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(limit)
        lines = out.getvalue().splitlines()
        # Drop pstats' preamble up to the column header line.
        start = next((i for i, x in enumerate(lines) if "ncalls" in x), 0)
        if not parts:
            parts.append(next((x.strip() for x in lines[:start] if "function calls" in x), ""))
        parts.append(f"-- top {limit} by {'own' if order == 'tottime' else order} time --")
        parts += [x.rstrip() for x in lines[start:] if x.strip()]
    return "\n".join(parts)


# -- generated modules ----------------------------------------------------------

SMALL_MODULE = '''"""Generated module {i} for the qtreload benchmarks."""
import os

VALUE = {i}


def f(x=1):
    return x + VALUE


class C:
    def m(self):
        return os.sep, VALUE
'''

HANDLERS_MODULE = '''"""Handlers for the emission benchmarks (a watched module like the others)."""
from qtpy.QtCore import QObject, Signal


def handler():
    return None


class Emitter(QObject):
    sig = Signal()


class Receiver(QObject):
    def on_sig(self):
        return None
'''


def write_small_tree(root: Path, n: int, per_package: int = 100) -> list[str]:
    """``n`` small modules in packages of ``per_package``; returns the leaf module names."""
    names = []
    for i in range(n):
        pkg = f"qb_pkg{i // per_package}"
        pkg_dir = root / pkg
        if i % per_package == 0:
            pkg_dir.mkdir(parents=True, exist_ok=True)
            (pkg_dir / "__init__.py").write_text('"""Generated package."""\n')
        (pkg_dir / f"m{i}.py").write_text(SMALL_MODULE.format(i=i))
        names.append(f"{pkg}.m{i}")
    (root / "qb_handlers.py").write_text(HANDLERS_MODULE)
    return names


def big_module_source(defs: int, value: int) -> str:
    """A module of ``defs`` top-level definitions: functions and a few classes.

    ``target(x)`` returns ``x + value``; an edit changes ``value`` only (same size
    for values of the same number of digits).
    """
    classes = max(2, defs // 50)
    functions = defs - classes - 1  # one more: target
    parts = ['"""Generated module with many definitions."""\nimport math\n\nSCALE = 3\n']
    for i in range(functions):
        parts.append(
            f"\ndef f_{i}(x, y={i}):\n"
            f"    \"\"\"Function {i}.\"\"\"\n"
            f"    z = x * SCALE + y\n"
            f"    return math.floor(z) - {i}\n"
        )
    for i in range(classes):
        parts.append(
            f"\nclass K_{i}:\n"
            f"    LABEL = 'k{i}'\n\n"
            f"    def __init__(self, v={i}):\n"
            f"        self.v = v\n\n"
            f"    def get(self):\n"
            f"        return self.v + {i}\n\n"
            f"    def twice(self):\n"
            f"        return self.get() * 2\n\n"
            f"    @property\n"
            f"    def label(self):\n"
            f"        return self.LABEL\n"
        )
    parts.append(f"\ndef target(x):\n    return x + {value}\n")
    return "".join(parts)


def class_names(defs: int) -> list[str]:
    return [f"K_{i}" for i in range(max(2, defs // 50))]


def write_file(path: Path, text: str) -> None:
    """Save in place (same inode), as many editors do."""
    with open(path, "w") as f:
        f.write(text)


def env_for_worker(repo: Path, pyc: bool) -> dict[str, str]:
    """The worker's environment: offscreen Qt, the repo importable, .pyc writing as asked."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(repo), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
    env.pop("QTRELOAD", None)
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
