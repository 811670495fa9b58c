"""qtreload benchmarks: ``python benchmarks/run.py [--quick] [--only a,b,c,d]``.

Runs each scenario in its own fresh subprocess (``_worker.py``), prints a
markdown report, and writes ``benchmarks/results/<timestamp>.json`` (and
``.md``). ``--results-md PATH`` also writes the report there (the committed
``benchmarks/RESULTS.md``). See ``benchmarks/README.md`` for what each
scenario measures.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _common import env_for_worker  # noqa: E402

WRAPPED_TARGET_NS = 1000.0
EDIT_TARGET_MS = 5.0
EDIT_TARGET_DEFS = 500

SAVE_TARGET_MS = 2.0  # any save of a 500-definition module, and a one-method edit
REAL_TARGET_MS = 5.0  # p95 per save of a real module of a few thousand lines
START_TARGET = 1.3  # start-up with qtreload's cache, against plain Python with .pyc

FULL = {
    "a": {"n": [10, 1000, 5000], "repeat": 15, "min_seconds": 0.03},
    "b": {"defs": [50, 500, 2000], "heap": [0, 1_000_000], "repeat": 7},
    "c": {"edits": 200},
    "d": {"n": 1000, "repeat": 7, "min_seconds": 0.05},
    "e": {"defs": [50, 500, 2000], "kinds": ["body", "module", "comment"], "repeat": 7},
    "f": {"methods": 400, "repeat": 7},
    "g": {"modules": 200, "functions": 20, "big_defs": 33_000, "repeat": 5},
    "h": {"projects": {"more-itertools": 27, "attrs": 18}},
}
QUICK = {
    "a": {"n": [10, 500], "repeat": 3, "min_seconds": 0.01},
    "b": {"defs": [50, 500], "heap": [0, 100_000], "repeat": 3},
    "c": {"edits": 50},
    "d": {"n": 100, "repeat": 3, "min_seconds": 0.01},
    "e": {"defs": [500], "kinds": ["body", "module", "comment"], "repeat": 3},
    "f": {"methods": 400, "repeat": 3},
    "g": {"modules": 200, "functions": 20, "big_defs": 3_300, "repeat": 1},
    "h": {"projects": {"more-itertools": 6}},
}

# -- running the workers ----------------------------------------------------------------


def jobs(config: dict, only: set[str]) -> list[tuple[str, str, dict, bool]]:
    """(scenario letter, worker scenario, params, .pyc writing on) for each subprocess."""
    out = []
    if "a" in only:
        a = config["a"]
        for n in a["n"]:
            out.append(("a", "idle", {"n": n, "repeat": a["repeat"],
                                      "min_seconds": a["min_seconds"],
                                      "profile": n == max(a["n"])}, False))
    if "b" in only:
        b = config["b"]
        for defs in b["defs"]:
            for heap in b["heap"]:
                for tool in ("qtreload", "ipython"):
                    profile = defs == EDIT_TARGET_DEFS or (tool == "qtreload"
                                                          and defs == max(b["defs"]))
                    out.append(("b", "edit", {"tool": tool, "defs": defs, "heap": heap,
                                              "repeat": b["repeat"], "profile": profile},
                                False))
    if "c" in only:
        for tool in ("qtreload", "ipython", "importlib"):
            out.append(("c", "rapid", {"tool": tool, "edits": config["c"]["edits"]}, True))
    if "d" in only:
        d = dict(config["d"], profile=True)
        out.append(("d", "eventhook", d, False))
    out += save_jobs(config, only)
    return out


def save_jobs(config: dict, only: set[str]) -> list[tuple[str, str, dict, bool]]:
    """The jobs of (e) to (h): the cost of a save, and of a start."""
    out = []
    tools = ("qtreload", "ipython")
    if "e" in only:
        e = config["e"]
        for defs in e["defs"]:
            for kind in e["kinds"]:
                for tool in tools:
                    profile = tool == "qtreload" and defs == EDIT_TARGET_DEFS
                    out.append(("e", "saves", {"tool": tool, "defs": defs, "kind": kind,
                                               "repeat": e["repeat"], "profile": profile},
                                False))
    if "f" in only:
        for tool in tools:
            out.append(("f", "bigclass", dict(config["f"], tool=tool,
                                              profile=tool == "qtreload"), False))
    if "g" in only:
        out.append(("g", "startup", config["g"], False))
    if "h" in only:
        for project, count in config["h"]["projects"].items():
            versions = [str(v) for v in real_versions(project)[:count]]
            for tool in tools:
                out.append(("h", "real", {"tool": tool, "package": project,
                                          "versions": versions}, False))
    return out


def real_versions(project: str) -> list[Path]:
    """The extracted sources of ``project``'s releases (downloaded once with pip)."""
    from replay import PROJECTS, extract, fetch  # the replay harness's downloader

    cache = Path.home() / ".cache" / "qtreload-replay"
    packages, releases = PROJECTS[project]
    return [extract(fetch(project, v, cache), packages, cache / "versions" / project / v)
            for v in releases]


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def busy_cores(interval: float = 0.3) -> float:
    """How many cores other processes keep busy now (this process sleeps meanwhile)."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(interval)
        total1, idle1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = total1 - total0
    return (total - (idle1 - idle0)) / total * (os.cpu_count() or 1) if total else 0.0


LOAD_THRESHOLD = 0.5  # cores used by other processes that make a timing suspect


def wait_for_quiet(max_wait: float, threshold: float = LOAD_THRESHOLD) -> float:
    """Wait (up to ``max_wait`` s) until other processes use < ``threshold`` cores."""
    deadline = time.monotonic() + max_wait
    busy = busy_cores()
    while busy >= threshold and time.monotonic() < deadline:
        time.sleep(1.0)
        busy = busy_cores()
    return busy


QTRELOAD_ROOT = REPO  # the folder whose qtreload/ the workers import (see --commit)


def export_commit(rev: str, into: Path) -> str:
    """Put ``rev``'s qtreload/ in ``into`` (git archive: no worktree, no index change)."""
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not sha:
        raise SystemExit(f"run.py: unknown commit {rev!r}")
    archive = subprocess.run(["git", "archive", sha, "qtreload"], cwd=REPO,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return sha


def run_job(scenario: str, params: dict, pyc: bool, timeout: float,
            root: Path | None = None) -> dict:
    """Run one worker; its result, with ``other_load``: cores other processes used meanwhile."""
    with tempfile.TemporaryDirectory(prefix="qtreload-bench-out-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(HERE / "_worker.py"), scenario, json.dumps(params), str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        total0, idle0 = _cpu_times()
        wall0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env_for_worker(root or QTRELOAD_ROOT, pyc), cwd=str(HERE),
                              capture_output=True, text=True, timeout=timeout)
        wall = time.perf_counter() - wall0
        total1, idle1 = _cpu_times()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not out.exists():
            return {"error": f"worker exited {proc.returncode}:\n{proc.stderr[-4000:]}"}
        result = json.loads(out.read_text())
    ticks = total1 - total0
    busy = (ticks - (idle1 - idle0)) / ticks * (os.cpu_count() or 1) if ticks else 0.0
    mine = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / wall
    result["other_load"] = max(0.0, busy - mine)
    return result


# -- targets ------------------------------------------------------------------------------


def apply_targets(rows: list[dict]) -> list[dict]:
    """Set ``target`` and ``met`` on the rows that have a target; add the flatness rows."""
    for row in rows:
        row.setdefault("target", None)
        row.setdefault("met", None)
        name, prm = row["name"], row["params"]
        if row.get("code") == "before":
            continue  # the baseline: for comparison only
        if row["scenario"] == "a" and row.get("kind") == "overhead":
            row["target"] = "< 1 µs"
            row["met"] = row["median"] < WRAPPED_TARGET_NS
        elif row["scenario"] == "b":
            if (row["tool"] == "qtreload" and prm["defs"] == EDIT_TARGET_DEFS
                    and row["kind"] != "info"):
                row["target"] = f"< {EDIT_TARGET_MS:g} ms"
                row["met"] = row["median"] < EDIT_TARGET_MS and not row["stale"]
        elif row["scenario"] == "c" and row["tool"] == "qtreload":
            row["target"] = "100 %"
            row["met"] = row["latest"] == row["edits"]
        elif row["scenario"] in "ef" and row.get("tool") == "qtreload" and (
                row["scenario"] == "f" or prm["defs"] == EDIT_TARGET_DEFS):
            row["target"] = f"≤ {SAVE_TARGET_MS:g} ms"
            row["met"] = row["median"] <= SAVE_TARGET_MS and not row["stale"]
        elif row["scenario"] == "h" and row.get("tool") == "qtreload" and prm["kind"] == "all":
            row["target"] = f"p95 ≤ {REAL_TARGET_MS:g} ms"
            row["met"] = row["p95"] <= REAL_TARGET_MS
        del name
    _start_ratios([r for r in rows if r["scenario"] == "g"])
    flat = []
    overheads: dict[str, list[dict]] = {}
    for row in rows:
        if row["scenario"] == "a" and row.get("kind") == "overhead":
            overheads.setdefault(row["name"], []).append(row)
    for name, group in overheads.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: r["params"]["n"])
        lo, hi = group[0], group[-1]
        growth = hi["median"] - lo["median"]
        flat.append({
            "scenario": "a", "name": f"{name.removesuffix(': added')}: growth in N",
            "params": {"n": f"{lo['params']['n']}→{hi['params']['n']}"}, "unit": "ns/call",
            "median": growth, "min": growth, "max": growth, "samples": [growth],
            "kind": "flat", "target": "flat (≤ 100 ns or 20 %)",
            "met": growth <= max(100.0, 0.2 * lo["median"]),
        })
    return rows + flat


def _start_ratios(rows: list[dict]) -> None:
    """Start-up rows: each as a multiple of plain Python with .pyc files, same case and code."""
    for row in rows:
        plain = next((r for r in rows if r["params"]["case"] == row["params"]["case"]
                      and r["name"].startswith("plain Python, .pyc written before")
                      and r.get("code") == row.get("code")), None)
        if plain is not None:
            row["ratio"] = row["median"] / plain["median"]
            if row["name"].startswith("qtreload, next start") and row.get("code") != "before":
                row["target"] = f"≤ {START_TARGET:g}x"
                row["met"] = row["ratio"] <= START_TARGET


# -- formatting -----------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit.startswith("ns"):
        a = abs(value)
        if a >= 1e6:
            return f"{value / 1e6:.2f} ms"
        if a >= 1e4:
            return f"{value / 1e3:.1f} µs"
        return f"{value:.0f} ns"
    if unit == "ms":
        return f"{value:.3g} ms" if abs(value) < 100 else f"{value:.0f} ms"
    return f"{value:.1f} {unit}"


def cell(row: dict) -> str:
    if row.get("kind") == "unavailable":
        return row.get("note", "n/a")
    unit = row["unit"]
    text = fmt(row["median"], unit)
    if row.get("n", 1) > 1:
        text += f" ({fmt(row['min'], unit)} – {fmt(row['max'], unit)})"
    return text


def met_text(met: Any) -> str:
    return "—" if met is None else ("yes" if met else "**NO**")


def table_a(rows: list[dict]) -> list[str]:
    ns = sorted({r["params"]["n"] for r in rows if r["kind"] != "flat"})
    names: list[str] = []
    for r in rows:
        if r["name"] not in names:
            names.append(r["name"])
    head = ["measurement", *[f"N={n}" for n in ns], "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        group = [r for r in rows if r["name"] == name]
        if group[0]["kind"] == "flat":
            r = group[0]
            cells = [""] * (len(ns) - 1) + [f"{fmt(r['median'], r['unit'])} ({r['params']['n']})"]
        else:
            by_n = {r["params"]["n"]: r for r in group}
            cells = [cell(by_n[n]) if n in by_n else "" for n in ns]
        targets = {r["target"] for r in group if r["target"]}
        mets = [r["met"] for r in group if r["met"] is not None]
        met = None if not mets else all(mets)
        out.append("| " + " | ".join([name, *cells, "; ".join(targets) or "—",
                                      met_text(met)]) + " |")
    return out


def table_b(rows: list[dict]) -> list[str]:
    defs = sorted({r["params"]["defs"] for r in rows})
    head = ["reload of a one-function edit", "extra live objects",
            *[f"{d} defs" for d in defs], "stale calls", "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = []
    for r in sorted(rows, key=lambda r: r["kind"] == "info"):  # one-time rows last
        k = (r["name"], r["params"]["heap"])
        if k not in keys:
            keys.append(k)
    for name, heap in keys:
        group = {r["params"]["defs"]: r for r in rows
                 if r["name"] == name and r["params"]["heap"] == heap}
        cells = [cell(group[d]) if d in group else "" for d in defs]
        info = all(r["kind"] == "info" for r in group.values())
        stale = "—" if info else sum(r["stale"] for r in group.values())
        targets = {f"{r['target']} at {EDIT_TARGET_DEFS} defs" for r in group.values()
                   if r["target"]}
        mets = [r["met"] for r in group.values() if r["met"] is not None]
        out.append("| " + " | ".join([name, f"{heap:,}", *cells, str(stale),
                                      "; ".join(targets) or "—",
                                      met_text(all(mets) if mets else None)]) + " |")
    return out


def table_c(rows: list[dict]) -> list[str]:
    head = ["reload attempt after each save", "calls that saw the latest value", ".pyc written",
            "time per edit", "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r["kind"] == "unavailable":
            out.append(f"| {r['name']} | {r['note']} | | | {r['target'] or '—'} | — |")
            continue
        out.append("| " + " | ".join([
            r["name"], f"{r['median']:.1f} % ({r['latest']}/{r['edits']})",
            "yes" if r["pyc_written"] else "no (compiles from source)",
            fmt(r["seconds"] / r["edits"] * 1e3, "ms"), r["target"] or "—",
            met_text(r["met"])]) + " |")
    return out


def table_d(rows: list[dict]) -> list[str]:
    head = ["measurement", "N", "per event", "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join([r["name"], str(r["params"].get("n", "")), cell(r),
                                      r["target"] or "—", met_text(r["met"])]) + " |")
    return out


def table_e(rows: list[dict]) -> list[str]:
    defs = sorted({r["params"]["defs"] for r in rows})
    head = ["save", "tool", *[f"{d} defs" for d in defs], "fast path / saves", "stale",
            "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys: list[tuple[str, str]] = []
    for r in rows:
        if (r["params"]["kind"], r["name"]) not in keys:
            keys.append((r["params"]["kind"], r["name"]))
    for kind, name in keys:
        group = {r["params"]["defs"]: r for r in rows
                 if r["params"]["kind"] == kind and r["name"] == name}
        fast = "; ".join(f"{r['fast']}/{r['n']}" for r in group.values()) \
            if group[next(iter(group))]["tool"] == "qtreload" else "—"
        mets = [r["met"] for r in group.values() if r["met"] is not None]
        out.append("| " + " | ".join([
            SAVE_KINDS[kind], name, *[cell(group[d]) if d in group else "" for d in defs], fast,
            str(sum(r["stale"] for r in group.values())),
            next((r["target"] for r in group.values() if r["target"]), "—"),
            met_text(all(mets) if mets else None)]) + " |")
    return out


SAVE_KINDS = {"body": "a function body", "module": "a module-level constant (full run)",
              "comment": "a comment line added/removed at the top"}


def table_f(rows: list[dict]) -> list[str]:
    head = ["one-method edit in a big class", "lines", "time per save", "stale", "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join([r["name"], str(r["params"]["lines"]), cell(r),
                                      str(r["stale"]), r["target"] or "—",
                                      met_text(r["met"])]) + " |")
    return out


def table_g(rows: list[dict]) -> list[str]:
    head = ["start-up", "case", "time", "× plain Python with .pyc", "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ratio = r.get("ratio")
        out.append("| " + " | ".join([r["name"], r["params"]["case"], cell(r),
                                      f"{ratio:.2f}" if ratio is not None else "—",
                                      r["target"] or "—", met_text(r["met"])]) + " |")
    return out


def table_h(rows: list[dict]) -> list[str]:
    head = ["real release history", "saves", "reloads", "median", "p95", "max", "failed",
            "target", "met?"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join([
            f"{r['params']['package']} (largest module {r['biggest_module_lines']:,} lines): "
            f"{r['name']}", str(r["saves"]), str(r["n"]), fmt(r["median"], "ms"),
            fmt(r["p95"], "ms"), fmt(r["max"], "ms"), str(r["failures"]), r["target"] or "—",
            met_text(r["met"])]) + " |")
    return out


TITLES = {
    "a": "(a) Cost per event when nothing changed (median, min – max over repeats)",
    "b": "(b) Edit-to-effect: one function edited, time of the reload call (median, min – max)",
    "c": "(c) Correctness under rapid same-size edits, .pyc writing enabled",
    "d": "(d) Global event hook: cost per delivered Qt event",
    "e": "(e) A save of each kind, time of the reload call (median, min – max)",
    "f": "(f) A one-method edit in a class of about 2,000 lines (median, min – max)",
    "g": "(g) Start-up in a fresh interpreter: importing the modules (median, min – max)",
    "h": "(h) Successive released versions saved over a running process, per save",
}
TABLES = {"a": table_a, "b": table_b, "c": table_c, "d": table_d, "e": table_e,
          "f": table_f, "g": table_g, "h": table_h}


def tables(rows: list[dict]) -> str:
    parts = []
    for key in "abcdefgh":
        group = [r for r in rows if r["scenario"] == key]
        if group:
            parts += [f"### {TITLES[key]}", "", *TABLES[key](group), ""]
    return "\n".join(parts)


# -- machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = info.get("model name") or platform.processor() or "unknown"
    extra = [f"{float(info['cpu MHz']):.0f} MHz" if "cpu MHz" in info else "",
             f"cache {info['cache size']}" if "cache size" in info else "",
             f"family {info['cpu family']} model {info['model']}" if "model" in info else ""]
    return ", ".join([model, *filter(None, extra)]) + " (from /proc/cpuinfo)"


def _mem_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(commit: str | None) -> dict[str, str]:
    code = ("import qtpy, qtreload\n"
            "from importlib.metadata import version\n"
            "def v(name):\n"
            "    try:\n"
            "        return version(name)\n"
            "    except Exception:\n"
            "        return 'not-installed'\n"
            "print(qtpy.API_NAME + '-' + (qtpy.PYQT_VERSION or qtpy.PYSIDE_VERSION),"
            " qtpy.QT_VERSION, v('ipython'), v('blinker'), qtreload.__version__,"
            " v('inotify_simple'))")
    versions = subprocess.run([sys.executable, "-c", code], cwd=str(HERE),
                              env=env_for_worker(QTRELOAD_ROOT, False),
                              capture_output=True, text=True).stdout.split()
    versions += ["?"] * (6 - len(versions))
    dirty = _git("status", "--porcelain", "--", "qtreload")
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _mem_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "binding": f"{versions[0]} (Qt {versions[1]})",
        "ipython": versions[2],
        "blinker, inotify_simple": f"{versions[3]}, {versions[5]}",
        "qtreload": (f"{versions[4]}, commit {commit[:10]} (exported with git archive)"
                     if commit else
                     f"{versions[4]}, work tree at commit {_git('rev-parse', '--short', 'HEAD')}"
                     + (" + uncommitted changes in qtreload/" if dirty else "")),
    }


def machine_md(m: dict[str, str]) -> str:
    return "\n".join(f"- **{k}**: {v}" for k, v in m.items())


# -- main ---------------------------------------------------------------------------------

ANALYSIS_MARKER = "<!-- analysis: written by hand, kept when run.py rewrites this file -->"


PROFILES_HEADING = "## Where the time goes (cProfile, for the missed targets)"


def write_results_md(path: Path, text: str) -> None:
    """Write the report; the hand-written analysis (marker to profiles) stays, before them."""
    kept = ""
    if path.exists():
        old = path.read_text()
        if ANALYSIS_MARKER in old:
            kept = old[old.index(ANALYSIS_MARKER):].split(PROFILES_HEADING)[0].rstrip() + "\n\n"
    head, sep, tail = text.partition(PROFILES_HEADING)
    path.write_text(head + kept + sep + tail)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--only", default="abcdefgh", help="scenarios to run, e.g. 'a,c'")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="folder for <timestamp>.json/.md")
    parser.add_argument("--results-md", type=Path, help="also write the report here")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per subprocess")
    parser.add_argument("--commit", metavar="REV",
                        help="benchmark qtreload/ as of this commit (default: the work tree)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also run the qtreload jobs of (b) and (e)-(h) on qtreload/ as of "
                             "this commit, each right after the same job on the code measured")
    parser.add_argument("--retries", type=int, default=None,
                        help="runs again a job during which other processes used more than "
                             "half a core, keeping the least disturbed (default 1, 0 with "
                             "--quick)")
    parser.add_argument("--budget", type=float, default=240,
                        help="seconds after which jobs are no longer waited for or run again")
    parser.add_argument("--max-wait", type=float, default=None,
                        help="seconds to wait before each job for other processes to leave "
                             "the CPUs (default 5, 0 with --quick)")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    only = set(args.only.replace(",", ""))

    global QTRELOAD_ROOT
    exported = tempfile.TemporaryDirectory(prefix="qtreload-bench-src-")
    commit = None
    if args.commit:
        commit = export_commit(args.commit, Path(exported.name))
        QTRELOAD_ROOT = Path(exported.name)
    before = tempfile.TemporaryDirectory(prefix="qtreload-bench-before-")
    baseline = None
    if args.baseline:
        baseline = (export_commit(args.baseline, Path(before.name)), Path(before.name))
    try:
        return run_all(args, config, only, commit, baseline)
    finally:
        exported.cleanup()
        before.cleanup()


def _versions(letter: str, params: dict,
              baseline: tuple[str, Path] | None) -> list[tuple[str, Path]]:
    """(label suffix, qtreload root) for each code a job runs on."""
    now = [("", Path(QTRELOAD_ROOT))]
    if baseline is None or letter not in "abdefgh" or params.get("tool", "qtreload") != "qtreload":
        return now
    sha, root = baseline
    return now + [(f" [before: {sha[:7]}]", root)]


def run_all(args: argparse.Namespace, config: dict, only: set[str], commit: str | None,
            baseline: tuple[str, Path] | None = None) -> int:
    max_wait = args.max_wait if args.max_wait is not None else (0 if args.quick else 5)
    if args.retries is None:
        args.retries = 0 if args.quick else 1
    load: list[float] = []
    started = time.time()
    rows: list[dict] = []
    profiles: dict[str, str] = {}
    errors: list[str] = []
    todo = [(letter, scenario, params, pyc, suffix, root)
            for letter, scenario, params, pyc in jobs(config, only)
            for suffix, root in _versions(letter, params, baseline)]
    for letter, scenario, params, pyc, suffix, root in todo:
        if time.time() - started > args.budget:
            max_wait, args.retries = 0, 0  # out of time for patience
        busy = wait_for_quiet(max_wait) if max_wait else busy_cores(0.1)
        load.append(busy)
        t0 = time.perf_counter()
        label = f"[{letter}] {scenario}{suffix} {json.dumps(params)[:200]}"
        print(f"{label} (other load {busy:.2f} cores)", end=" ... ", file=sys.stderr,
              flush=True)
        result: dict = {}
        for attempt in range(1 + args.retries):
            if attempt:
                print(f"other load {result['other_load']:.2f} cores during the job; again",
                      end=" ... ", file=sys.stderr, flush=True)
                wait_for_quiet(max_wait)
            try:
                again = run_job(scenario, params, pyc, args.timeout, root)
            except subprocess.TimeoutExpired:
                again = {"error": f"timed out after {args.timeout:g} s"}
            if "error" in again or result.get("other_load", math.inf) > again["other_load"]:
                result = again  # keep the least disturbed run
            if "error" in result or result["other_load"] < LOAD_THRESHOLD:
                break
        busy = result.get("other_load", busy)
        where = result.get("qtreload_file")
        if where and not Path(where).resolve().is_relative_to(root.resolve()):
            result = {"error": f"the worker imported {where}, not qtreload from {root}"}
        load[-1] = busy
        print(f"{time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        if "error" in result:
            errors.append(f"{label}: {result['error']}")
            print(result["error"], file=sys.stderr)
            continue
        for row in result["rows"]:
            row.setdefault("kind", "value")
            row["name"] += suffix
            row["code"] = "before" if suffix else "now"
            row["info"] = dict(result.get("info", {}), other_load_cores=busy)
        rows += result["rows"]
        profiles.update({k + suffix: v for k, v in result.get("profiles", {}).items()})
    rows = apply_targets(rows)
    elapsed = time.time() - started

    mach = machine(commit)
    finite = sorted(x for x in load if not math.isnan(x))
    if finite:
        mach["other load"] = (f"{finite[len(finite) // 2]:.2f} cores median, "
                              f"{finite[-1]:.2f} max (used by other processes during each job)")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    missed = sorted({r["scenario"] for r in rows if r["met"] is False})
    report = [
        f"# qtreload benchmarks ({'quick' if args.quick else 'full'} run, {stamp})", "",
        "Command: `python benchmarks/run.py" + (" --quick" if args.quick else "")
        + (f" --commit {args.commit}" if args.commit else "") + "`, "
        f"{elapsed:.0f} s. Each cell: median (min – max) over the repeats.", "",
        "## Machine", "", machine_md(mach), "", "## Results", "", tables(rows),
    ]
    if errors:
        report += ["## Errors", "", *[f"```\n{e}\n```" for e in errors], ""]
    shown = {k: v for k, v in profiles.items() if k[0] in missed}
    if shown:
        report += [PROFILES_HEADING, "",
                   "cProfile inflates small calls; read the proportions, not the totals.", ""]
        for title, text in shown.items():
            report += [f"### {title}", "", "```", text, "```", ""]
    text = "\n".join(report).rstrip() + "\n"
    print(tables(rows))
    if errors:
        print(f"{len(errors)} scenario(s) failed; see the report", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / stamp
    base.with_suffix(".json").write_text(json.dumps({
        "quick": args.quick, "config": config, "machine": mach, "seconds": elapsed,
        "rows": rows, "profiles": profiles, "errors": errors, "markdown": text,
    }, indent=1))
    base.with_suffix(".md").write_text(text)
    if args.results_md:
        write_results_md(args.results_md, text)
    print(f"wrote {base.with_suffix('.json')}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
