"""Worker scenarios about the cost of a save and of a start (run by ``_worker.py``).

(e) ``saves``: saves of three kinds in a generated module (a function body, a
    module-level constant, a comment line added or removed at the top), qtreload
    or IPython, with which path qtreload took;
(f) ``bigclass``: a one-method edit in a class of about 2,000 lines;
(g) ``startup``: importing 200 modules of 20 functions, and one big module, in
    fresh interpreters: plain Python with ``.pyc`` files, qtreload without and
    with its start-up cache;
(h) ``real``: successive released versions of real libraries, saved one after
    another over a running process (median, p95, max per save; qtreload's fast
    path and full run apart).
"""
from __future__ import annotations

import gc
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import big_module_source, profile_summary, record, write_file

HERE = Path(__file__).resolve().parent


def _tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="qtreload-bench-"))


def _on_path(root: Path) -> None:
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()


class _Paths:
    """Counts the saves qtreload took through the fast path (benchmark instrumentation)."""

    def __init__(self) -> None:
        from qtreload import _transaction

        self.fast = 0
        self._module = _transaction
        self._find = find = _transaction.find_chunk

        def counting(*args: Any) -> Any:
            chunk = find(*args)
            self.fast += chunk is not None
            return chunk

        _transaction.find_chunk = counting


class _Tool:
    """qtreload's check, or IPython's ``%autoreload 2`` (``ModuleReloader``) after each save."""

    def __init__(self, tool: str, root: Path) -> None:
        self.tool = tool
        self.paths: _Paths | None = None
        if tool == "qtreload":
            import qtreload

            qtreload.configure(roots=[str(root)])
            self._check = qtreload.check
            self.paths = _Paths()
        else:
            from IPython.extensions.autoreload import ModuleReloader

            reloader = ModuleReloader()
            reloader.enabled = True
            reloader.check_all = True
            self._check = reloader.check

    def start(self) -> None:
        if self.tool == "qtreload":
            self._check()  # takes the imported modules up

    def reload(self) -> tuple[float, bool]:
        """The reload after a save: milliseconds, and whether it took the fast path."""
        fast = self.paths.fast if self.paths else 0
        t0 = time.perf_counter_ns()
        report = self._check()
        ms = (time.perf_counter_ns() - t0) / 1e6
        if self.tool == "qtreload" and not report.ok:
            raise RuntimeError(f"reload failed: {report}")
        return ms, bool(self.paths and self.paths.fast > fast)


def _save(path: Path, text: str) -> None:
    """Save in place, with a later modification time (IPython compares them)."""
    write_file(path, text)
    stamp = time.time_ns() + 1_000_000_000 * (1 + _save.count)
    _save.count += 1
    os.utime(path, ns=(stamp, stamp))


_save.count = 0  # type: ignore[attr-defined]


# -- (e) saves of three kinds ------------------------------------------------------------


def _variant(defs: int, kind: str, k: int) -> str:
    """The ``k``-th save of ``kind``: ``target`` returns 1000 + k, SCALE is 3 + k, or the
    top has ``k % 2`` comment lines."""
    source = big_module_source(defs, 1000 + (k if kind == "body" else 0))
    head = "import math\n"
    counter = head + "import qb_runs\nqb_runs.RUNS.append(1)\n"
    if kind == "module":
        source = source.replace("SCALE = 3\n", f"SCALE = {3 + k}\n")
    elif kind == "comment" and k % 2:
        counter += "# a comment line above every definition\n"
    return source.replace(head, counter, 1)


def saves(p: dict) -> dict:
    tool, defs, kind, repeat = p["tool"], p["defs"], p["kind"], p["repeat"]
    root = _tempdir()
    (root / "qb_runs.py").write_text("RUNS = []\n")
    path = root / "qb_saves.py"
    write_file(path, _variant(defs, kind, 0))
    runner = _Tool(tool, root)
    _on_path(root)
    import qb_runs
    import qb_saves as module

    runner.start()
    target, times, fast, stale = module.target, [], 0, 0
    for k in range(1, repeat + 2):  # the first save is a warm-up
        text = _variant(defs, kind, k)
        _save(path, text)
        ms, took_fast = runner.reload()
        line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("def target"))
        expected = (1000 + k if kind == "body" else 1000, 3 + k if kind == "module" else 3, line)
        got = (target(0), module.SCALE, target.__code__.co_firstlineno)
        stale += got != expected
        if k > 1:
            times.append(ms)
            fast += took_fast
    label = {"qtreload": "qtreload.check()", "ipython": "IPython %autoreload 2"}[tool]
    row = record("e", label, {"defs": defs, "kind": kind}, "ms", times, tool=tool, stale=stale,
                 fast=fast, top_level_runs=len(qb_runs.RUNS))
    profiles = {}
    if p.get("profile"):
        _save(path, _variant(defs, kind, repeat + 2))
        profiles[f"e: {SAVE_LABELS[kind]}, {label}, {defs} defs"] = profile_summary(
            runner.reload, limit=14)
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": [row], "profiles": profiles, "info": {}}


SAVE_LABELS = {"body": "a function body", "module": "a module-level constant",
               "comment": "a comment line at the top"}


# -- (f) one method of a big class ---------------------------------------------------------


def _big_class(methods: int, value: int) -> str:
    lines = ['"""A module with one big class."""\n\n\nclass Big:\n    LIMIT = 3\n']
    for i in range(methods):
        lines.append(f"\n    def m_{i}(self, x={i}):\n        y = x * self.LIMIT\n"
                     f"        return y + {i}\n")
    lines.append(f"\n    def target(self):\n        return {value}\n")
    return "".join(lines)


def bigclass(p: dict) -> dict:
    tool, methods, repeat = p["tool"], p["methods"], p["repeat"]
    root = _tempdir()
    path = root / "qb_bigclass.py"
    write_file(path, _big_class(methods, 1000))
    runner = _Tool(tool, root)
    _on_path(root)
    import qb_bigclass as module

    runner.start()
    live, times, stale = module.Big(), [], 0
    for k in range(1, repeat + 2):
        _save(path, _big_class(methods, 1000 + k))
        ms, _ = runner.reload()
        stale += live.target() != 1000 + k
        if k > 1:
            times.append(ms)
    lines = path.read_text().count("\n")
    label = {"qtreload": "qtreload.check()", "ipython": "IPython %autoreload 2"}[tool]
    row = record("f", label, {"methods": methods, "lines": lines}, "ms", times, tool=tool,
                 stale=stale)
    profiles = {}
    if p.get("profile"):
        _save(path, _big_class(methods, 999))
        profiles[f"f: one-method edit, {label}, {lines} lines"] = profile_summary(
            runner.reload, limit=14)
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": [row], "profiles": profiles, "info": {}}


# -- (g) start-up ------------------------------------------------------------------------

_STARTER = """
import sys, time
sys.path.insert(0, {root!r})
if {qtreload!r}:
    import qtreload
    qtreload.configure(roots=[{root!r}])
t0 = time.perf_counter()
for name in {names!r}:
    __import__(name)
if {qtreload!r}:
    qtreload.check()  # the watch list takes the modules up
print(time.perf_counter() - t0)
"""


def _many_modules(root: Path, modules: int, functions: int) -> list[str]:
    names = []
    for i in range(modules):
        package = root / f"qb_start{i // 50}"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
        body = ["import os\n\nVALUE = 1\n"]
        for j in range(functions):
            body.append(f"\n\ndef f_{j}(x={j}):\n    y = x + VALUE\n    return os.sep * y\n")
        (package / f"m{i}.py").write_text("".join(body))
        names.append(f"qb_start{i // 50}.m{i}")
    return names


def _start_seconds(root: Path, names: list[str], qtreload: bool, pyc: bool) -> float:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not pyc:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    code = _STARTER.format(root=str(root), names=names, qtreload=qtreload)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out.split()[-1])


def _clear_caches(root: Path) -> None:
    for folder in root.rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)


def startup(p: dict) -> dict:
    """Import times in fresh interpreters (after ``import qtreload``, for qtreload)."""
    repeat, rows = p["repeat"], []
    root = _tempdir()
    cases = {"200 modules of 20 functions": _many_modules(root, p["modules"], p["functions"])}
    big = root / "qb_start_big.py"
    defs = p["big_defs"]
    big.write_text(big_module_source(defs, 1))
    megabytes = big.stat().st_size / 1e6
    cases[f"one module of {megabytes:.1f} MB ({defs:,} definitions)"] = ["qb_start_big"]
    for case, names in cases.items():
        rounds = repeat if len(names) > 1 else max(1, repeat // 3)
        timings: dict[str, list[float]] = {}
        for _ in range(rounds):
            _clear_caches(root)
            timings.setdefault("plain Python, no .pyc", []).append(
                _start_seconds(root, names, False, False))
            _start_seconds(root, names, False, True)  # writes the .pyc files
            timings.setdefault("plain Python, .pyc written before", []).append(
                _start_seconds(root, names, False, True))
            _clear_caches(root)
            timings.setdefault("qtreload, first start (compiles, writes its cache)", []).append(
                _start_seconds(root, names, True, True))
            timings.setdefault("qtreload, next start (its cache)", []).append(
                _start_seconds(root, names, True, True))
        for label, samples in timings.items():
            rows.append(record("g", label, {"case": case}, "ms", [s * 1e3 for s in samples]))
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "profiles": {}, "info": {}}


# -- (h) real release histories --------------------------------------------------------------


def real(p: dict) -> dict:
    """Save each version of ``p["versions"]`` (folders of one package) over a running process."""
    tool, package = p["tool"], p["package"]
    versions = [Path(v) for v in p["versions"]]
    root = _tempdir()

    # Under another top-level name if the worker already imported the real one.
    taken = {p.name.removesuffix(".py") for p in versions[0].iterdir()} & sys.modules.keys()

    def place(version: Path, source: Path) -> Path:
        first, *rest = source.relative_to(version).parts
        return root.joinpath(("qb_" if first.removesuffix(".py") in taken else "") + first,
                             *rest)

    for source in versions[0].rglob("*.py"):
        place(versions[0], source).parent.mkdir(parents=True, exist_ok=True)
        place(versions[0], source).write_bytes(source.read_bytes())
    runner = _Tool(tool, root)
    _on_path(root)
    modules = [".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
               for f in sorted(root.rglob("*.py"))]
    for name in modules:
        importlib.import_module(name)
    runner.start()
    times: dict[str, list[float]] = {"fast path": [], "full run": [], "all": []}
    failures = 0
    for version in versions[1:]:
        for source in sorted(version.rglob("*.py")):
            target = place(version, source)
            data = source.read_bytes()
            if not target.exists() or target.read_bytes() != data:
                target.parent.mkdir(parents=True, exist_ok=True)
                _save(target, data.decode("utf-8", "surrogateescape"))
        try:
            ms, fast = runner.reload()
        except Exception:  # a failed reload: the next save is a new start for both tools
            failures += 1
            continue
        times["all"].append(ms)
        times["fast path" if fast else "full run"].append(ms)
        gc.collect()
    label = {"qtreload": "qtreload.check()", "ipython": "IPython %autoreload 2"}[tool]
    lines = max(f.read_bytes().count(b"\n") for f in versions[-1].rglob("*.py"))
    rows = [record("h", f"{label}: {kind}", {"package": package, "kind": kind}, "ms",
                   samples, tool=tool, failures=failures, saves=len(versions) - 1,
                   p95=_percentile(samples, 95), biggest_module_lines=lines)
            for kind, samples in times.items() if samples
            and (tool == "qtreload" or kind == "all")]
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "profiles": {}, "info": {"versions": [v.name for v in versions]}}


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


SCENARIOS = {"saves": saves, "bigclass": bigclass, "startup": startup, "real": real}
