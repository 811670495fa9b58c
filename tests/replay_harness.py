"""Replay real release histories into a running process and compare with a restart.

A *version* is a folder holding the sources of one release of a project (its
top-level packages or modules, nothing else). The replay:

1. in a fresh subprocess, puts a scratch folder on ``sys.path``, imports
   qtreload, copies the first version there and imports every module of it;
2. saves each next version over the scratch folder file by file, as an editor
   would (changed files rewritten in place, new files created, removed files
   deleted), runs ``qtreload.check()`` and imports what the new version has
   that is not imported yet (as the app's code would);
3. after each step describes every module: public names, function code and
   defaults, class members, and whether the functions and classes of the
   first import are still the objects the module holds.

Each version is also imported fresh, in its own subprocess, with qtreload
imported first (a restart of the app). A step *matches* when the reload
succeeded and every module is described the same as by the fresh import.

Used by ``tests/test_replay.py`` (small vendored histories) and
``benchmarks/replay.py`` (downloaded ones). Run as a script, it is the worker
of either side: ``replay_harness.py fresh VERSION`` or
``replay_harness.py replay SCRATCH VERSION...`` (``replay-rerun-importers`` for a
replay with ``qtreload.configure(rerun_importers=True)``); it prints JSON.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qtreload._trampoline import is_trampoline

REPO = Path(__file__).resolve().parent.parent
_SIMPLE = (int, float, str, bytes, bool, type(None), complex)
_SKIP_MEMBERS = frozenset({"__dict__", "__weakref__", "__module__", "_abc_impl"})


# -- describing a module ---------------------------------------------------------

def _code_digest(code: types.CodeType) -> str:
    """What a code object does and where it says it is (line numbers, not the file)."""
    digest = hashlib.blake2b(digest_size=8)

    def feed(co: types.CodeType) -> None:
        digest.update(co.co_code)
        digest.update(repr((co.co_name, co.co_qualname, co.co_firstlineno, co.co_names,
                            co.co_varnames, co.co_freevars, co.co_cellvars,
                            co.co_argcount, co.co_kwonlyargcount)).encode())
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                feed(const)
            else:
                digest.update(repr(const).encode())

    feed(code)
    return digest.hexdigest()


def _value(value: Any) -> str:
    """A value other than a function or class: its type, and its repr if plain data."""
    kind = type(value).__qualname__
    if isinstance(value, _SIMPLE):
        return f"{kind}:{value!r:.200}"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, (tuple, list, set, frozenset, dict)):
        return f"{kind}[{len(value)}]"
    return kind


def _function(func: types.FunctionType) -> dict:
    defaults = [_describe(d) for d in func.__defaults__ or ()]
    kwdefaults = {k: _describe(v) for k, v in (func.__kwdefaults__ or {}).items()}
    # A hot-swapped function whose closure changed forwards to its new version.
    if is_trampoline(func):
        return _function(func.__wrapped__)  # type: ignore[attr-defined]
    return {"function": func.__qualname__, "code": _code_digest(func.__code__),
            "defaults": defaults, "kwdefaults": kwdefaults}


def _class(cls: type) -> dict:
    members = {}
    for name, member in cls.__dict__.items():
        if name not in _SKIP_MEMBERS:
            members[name] = _describe(member, shallow=True)
    bases = [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__]
    return {"class": cls.__qualname__, "bases": bases, "members": members}


def _describe(value: Any, shallow: bool = False) -> Any:
    if isinstance(value, types.FunctionType):
        return _function(value)
    if isinstance(value, (staticmethod, classmethod)):
        return [type(value).__name__, _describe(value.__func__)]
    if isinstance(value, property):
        return ["property"] + [_describe(f) if f else None
                               for f in (value.fget, value.fset, value.fdel)]
    if isinstance(value, type):
        return f"class:{value.__module__}.{value.__qualname__}" if shallow else _class(value)
    return _value(value)


def describe_module(module: types.ModuleType) -> dict[str, Any]:
    """Every name the module holds (but dunders), described."""
    out: dict[str, Any] = {}
    for name, value in sorted(module.__dict__.items()):
        if name.startswith("__") and name.endswith("__"):
            if name != "__all__":
                continue
            out[name] = (sorted(v if isinstance(v, str) else _value(v) for v in value)
                         if isinstance(value, (list, tuple)) else None)
            continue
        own = getattr(value, "__module__", None) == module.__name__
        out[name] = _describe(value, shallow=not own)
    return out


def module_names(root: Path) -> list[str]:
    """The modules whose sources are under ``root``, parents first."""
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts and parts[-1] != "__main__" and all(p.isidentifier() for p in parts):
            names.append(".".join(parts))
    return sorted(names, key=lambda n: (n.count("."), n))


def import_all(names: list[str]) -> list[str]:
    """Import each module that imports; returns those that did."""
    import importlib

    done = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            continue
        done.append(name)
    return done


def _describe_all(names: list[str]) -> dict[str, Any]:
    return {name: describe_module(sys.modules[name]) for name in names if name in sys.modules}


def _own_objects(names: list[str]) -> dict[str, Any]:
    """The functions and classes each module defines, by ``module:name``."""
    found = {}
    for name in names:
        module = sys.modules.get(name)
        for key, value in vars(module).items() if module else ():
            if (isinstance(value, (types.FunctionType, type))
                    and getattr(value, "__module__", None) == name):
                found[f"{name}:{key}"] = value
    return found


# -- the two workers (run in a fresh interpreter) ------------------------------------

def fresh_worker(version: Path) -> dict[str, Any]:
    """Import every module of ``version`` as a restart would (qtreload first)."""
    import qtreload

    sys.path.insert(0, str(version))
    qtreload.configure(roots=[str(version)])
    names = import_all(module_names(version))
    return {"modules": names, "state": _describe_all(names)}


def save_version(scratch: Path, version: Path) -> int:
    """Make ``scratch`` hold ``version``, as an editor saving each file would; files changed."""
    changed = 0
    wanted = {p.relative_to(version) for p in version.rglob("*") if p.is_file()
              and "__pycache__" not in p.parts}
    for rel in sorted(wanted):
        target, data = scratch / rel, (version / rel).read_bytes()
        if target.exists() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:  # in place, as most editors save
            f.write(data)
        changed += 1
    for path in sorted(scratch.rglob("*"), reverse=True):
        rel = path.relative_to(scratch)
        if "__pycache__" in rel.parts:
            continue
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def replay_worker(scratch: Path, versions: list[Path],
                  rerun_importers: bool = False) -> dict[str, Any]:
    """Import ``versions[0]`` in ``scratch``, then save and check each next version."""
    import qtreload

    scratch.mkdir(parents=True, exist_ok=True)
    save_version(scratch, versions[0])
    sys.path.insert(0, str(scratch))
    qtreload.configure(roots=[str(scratch)], rerun_importers=rerun_importers)
    names = import_all(module_names(scratch))
    originals = _own_objects(names)
    steps = []
    for version in versions[1:]:
        save_version(scratch, version)
        started = time.perf_counter()
        report = qtreload.check()
        elapsed = time.perf_counter() - started
        names = sorted(set(names) | set(import_all(module_names(scratch))),
                       key=lambda n: (n.count("."), n))
        restart = {f"{w.module}:{w.qualname}" for w in report.warnings if w.restart_needed}
        lost = []
        current = _own_objects(names)
        for key, old in list(originals.items()):
            new = current.get(key)
            # Restart needed (README): the new class is used, under any name.
            if key in restart or f"{old.__module__}:{old.__qualname__}" in restart:
                originals[key] = new  # named in the README: the new class is used
            elif (new is not None and new is not old and type(new) is type(old)
                  and new.__qualname__ == old.__qualname__):
                lost.append(key)
                originals[key] = new
        for key, new in current.items():
            originals.setdefault(key, new)
        steps.append({
            "version": version.name,
            "seconds": elapsed,
            "reloaded": list(report.reloaded),
            "paths": dict(getattr(report, "paths", {}) or {}),
            "waiting": dict(getattr(report, "waiting", {}) or {}),
            "failures": [f.message for f in report.failures],
            "warnings": [w.message for w in report.warnings],
            "identity_lost": lost,
            "state": _describe_all(names),
        })
    return {"steps": steps}


# -- the driver ------------------------------------------------------------------

@dataclass
class Step:
    """One save of the replay, compared with a fresh import of that version."""

    version: str
    seconds: float
    reloaded: list[str]
    failures: list[str]
    warnings: list[str]
    paths: dict[str, str]
    waiting: dict[str, str]
    fresh_ok: bool
    differences: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences


def _run_worker(*args: str) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("QTRELOAD", None)
    env["PYTHONHASHSEED"] = "0"  # reprs of sets in code constants are compared
    # Without address randomisation, hash(None) (an address) is the same in both.
    fixed = ["setarch", os.uname().machine, "-R"] if shutil.which("setarch") else []
    result = subprocess.run([*fixed, sys.executable, "-X", "faulthandler", __file__, *args],
                            env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"replay worker {args[0]} exited with {result.returncode}:\n"
                           f"{result.stderr[-4000:]}")
    return json.loads(result.stdout)


def _differences(fresh: dict[str, Any], replayed: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(fresh) | set(replayed), key=str):
        where = f"{prefix}{key}"
        if key not in replayed:
            out.append(f"{where}: missing after the reload")
        elif key not in fresh:
            out.append(f"{where}: {str(replayed[key])[:160]} not there after a restart")
        elif fresh[key] != replayed[key]:
            if isinstance(fresh[key], dict) and isinstance(replayed[key], dict):
                out.extend(_differences(fresh[key], replayed[key], f"{where}."))
            else:
                out.append(f"{where}: {str(replayed[key])[:160]} != restart's "
                           f"{str(fresh[key])[:160]}")
    return out


def compare(fresh: dict[str, Any], step: dict[str, Any]) -> list[str]:
    """What differs between the replay's step and the fresh import of the same version."""
    out = [f"reload failed: {message}" for message in step["failures"]]
    out += [f"{key}: not the object of the first import" for key in step["identity_lost"]]
    out += [f"{module}: still waiting ({why})" for module, why in step["waiting"].items()]
    state = {name: step["state"].get(name, {}) for name in fresh["modules"]}
    out += [line for line in _differences(fresh["state"], state) if not _named(line)]
    return out


def _named(difference: str) -> bool:
    """Is this difference one the README names as kept on purpose?

    A deleted module stays imported with its last code, so it stays an
    attribute of its package.
    """
    where = difference.partition(":")[0]
    return difference == f"{where}: module:{where} not there after a restart"


_fresh_imports: dict[str, dict[str, Any]] = {}  # version folder -> its fresh import


def _fresh(version: str) -> dict[str, Any]:
    """The fresh import of ``version`` (once per process: a second replay reuses it)."""
    if version not in _fresh_imports:
        _fresh_imports[version] = _run_worker("fresh", version)
    return _fresh_imports[version]


def replay(versions: list[Path], scratch: Path, jobs: int = 2,
           rerun_importers: bool = False) -> list[Step]:
    """Replay ``versions`` (folders, oldest first) in ``scratch``; one compared step each.

    ``rerun_importers``: with ``qtreload.configure(rerun_importers=True)``.
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    mode = "replay-rerun-importers" if rerun_importers else "replay"
    with ThreadPoolExecutor(jobs) as pool:
        fresh_runs = [pool.submit(_fresh, str(v)) for v in versions[1:]]
        replayed = _run_worker(mode, str(scratch), *map(str, versions))
        fresh = [run.result() for run in fresh_runs]
    steps = []
    for version, fresh_state, step in zip(versions[1:], fresh, replayed["steps"], strict=True):
        fresh_ok = bool(fresh_state["modules"])
        result = Step(version.name, step["seconds"], step["reloaded"], step["failures"],
                      step["warnings"], step["paths"], step["waiting"], fresh_ok)
        if fresh_ok:
            result.differences = compare(fresh_state, step)
        steps.append(result)
    return steps


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    del sys.argv[1:]  # code that reads sys.argv sees the same in both
    if mode == "fresh":
        output = fresh_worker(Path(args[0]))
    else:
        output = replay_worker(Path(args[0]), [Path(p) for p in args[1:]],
                               rerun_importers=mode == "replay-rerun-importers")
    json.dump(output, sys.stdout)
