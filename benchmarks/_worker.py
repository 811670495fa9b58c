"""One benchmark scenario in a fresh process: ``python _worker.py SCENARIO PARAMS_JSON OUT``.

Run by ``run.py``; each call generates its modules in a new temporary folder,
imports them, measures, and writes its rows (and cProfile summaries) as JSON
to OUT. Nothing leaks between scenarios because nothing is shared.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import _saves
from _common import (
    big_module_source,
    class_names,
    paired_ns,
    per_call_ns,
    profile_summary,
    record,
    write_file,
    write_small_tree,
)

Rows = list[dict[str, Any]]


def _tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="qtreload-bench-"))


def _on_path(root: Path) -> None:
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()


def _ipython_missing() -> bool:
    return importlib.util.find_spec("IPython") is None


NO_IPYTHON = "not available: IPython is not installed (pip install -e '.[bench]')"


def _unavailable(scenario: str, name: str, params: dict, unit: str, note: str,
                 **extra: Any) -> dict:
    return record(scenario, name, params, unit, [float("nan")], kind="unavailable", note=note,
                  **extra)


def _diff(a: list[float], b: list[float]) -> list[float]:
    return [y - x for x, y in zip(a, b, strict=True)]


# -- (a) cost per event when nothing changed --------------------------------------


def idle(p: dict) -> dict:
    """Per-call cost of the stale check and the wrappers, with ``n`` watched modules."""
    n, repeat, min_s = p["n"], p["repeat"], p["min_seconds"]
    # IPython is imported first so both reloaders see the same sys.modules.
    ModuleReloader = None  # noqa: N806 (a class)
    if not _ipython_missing():
        from IPython.extensions.autoreload import ModuleReloader
    from qtpy.QtCore import QCoreApplication

    import qtreload

    app = QCoreApplication.instance() or QCoreApplication([])
    root = _tempdir()
    qtreload.configure(roots=[str(root)])
    names = write_small_tree(root, n)
    _on_path(root)
    t0 = time.perf_counter()
    for name in names:
        importlib.import_module(name)
    import qb_handlers as h
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    qtreload.check()  # first check: takes up the new modules
    t_sync = time.perf_counter() - t0
    watched = len(qtreload.reloader.watched())
    assert watched >= n, f"only {watched} of {n} modules watched"
    assert qtreload.check() is not None and not qtreload.reloader.stale_hint()

    emitters = {k: h.Emitter() for k in ("fn_direct", "fn_qt", "m_direct", "m_qt")}
    receiver = h.Receiver()
    emitters["fn_direct"].sig.connect(h.handler)
    qtreload.connect(emitters["fn_qt"].sig, h.handler)
    emitters["m_direct"].sig.connect(receiver.on_sig)
    qtreload.connect(emitters["m_qt"].sig, receiver.on_sig)

    ipy = ModuleReloader() if ModuleReloader is not None else None
    if ipy is not None:
        ipy.enabled = True
        ipy.check_all = True

    ns = {
        "direct": h.handler,
        "wrapped": qtreload.autoreload_slot(h.handler),
        "check": qtreload.check,
        "ipy_check": ipy.check if ipy is not None else None,
        **{f"emit_{k}": e.sig.emit for k, e in emitters.items()},
    }
    prm = {"n": n}
    rows: Rows = []

    calls = paired_ns({"direct": "direct()", "wrapped": "wrapped()",
                       "wrapped_arg": "wrapped(True)"}, ns, repeat, min_s)
    rows.append(record("a", "direct call", prm, "ns/call", calls["direct"]))
    rows.append(record("a", "@autoreload_slot call", prm, "ns/call", calls["wrapped"]))
    rows.append(record("a", "@autoreload_slot call: added", prm, "ns/call",
                       _diff(calls["direct"], calls["wrapped"]), kind="overhead"))
    rows.append(record("a", "@autoreload_slot call, 1 signal arg trimmed: added", prm,
                       "ns/call", _diff(calls["direct"], calls["wrapped_arg"]),
                       kind="overhead"))

    emits = paired_ns({k: f"emit_{k}()" for k in emitters}, ns, repeat, min_s)
    rows.append(record("a", "emit -> function, direct connect", prm, "ns/emit",
                       emits["fn_direct"]))
    rows.append(record("a", "emit -> function, qtreload.connect", prm, "ns/emit",
                       emits["fn_qt"]))
    rows.append(record("a", "emit -> function, qtreload.connect: added", prm, "ns/emit",
                       _diff(emits["fn_direct"], emits["fn_qt"]), kind="overhead"))
    rows.append(record("a", "emit -> QObject method, direct connect", prm, "ns/emit",
                       emits["m_direct"]))
    rows.append(record("a", "emit -> QObject method, qtreload.connect", prm, "ns/emit",
                       emits["m_qt"]))
    rows.append(record("a", "emit -> QObject method, qtreload.connect: added", prm,
                       "ns/emit", _diff(emits["m_direct"], emits["m_qt"]),
                       kind="overhead"))

    samples, _ = per_call_ns("check()", ns, repeat, min_s)
    rows.append(record("a", "qtreload.check(), nothing changed", prm, "ns/call", samples))
    label = "IPython ModuleReloader.check(), check_all"
    if ipy is None:
        rows.append(_unavailable("a", label, prm, "ns/call", NO_IPYTHON))
    else:
        samples, _ = per_call_ns("ipy_check()", ns, repeat, min_s)
        rows.append(record("a", label, prm, "ns/call", samples, sys_modules=len(sys.modules)))

    # Without inotify (macOS, Windows, or the watch limit reached) the detector polls:
    # one stat per watched file per check. A second reloader watches the same files.
    from qtreload import Reloader

    polling = Reloader(detector="polling")
    polling.configure(roots=[str(root)])
    polling.enable()
    age = time.time() - os.stat(root / "qb_handlers.py").st_mtime
    if age < 2.5:  # files saved < 2 s ago count as "racily clean": reported every time
        time.sleep(2.5 - age)
    polling.check()
    polling.check()
    ns["poll_check"] = polling.check
    samples, _ = per_call_ns("poll_check()", ns, repeat, min_s)
    rows.append(record("a", "qtreload.check(), polling detector (no inotify)", prm, "ns/call",
                       samples, kind="info"))
    polling.close()

    # Any import the app does (even a failed one) makes the next check re-sync
    # the watch list with sys.modules.
    failing = "try:\n    import qb_no_such_module\nexcept ImportError:\n    pass\n"
    sync = paired_ns({"alone": failing, "check": failing + "check()"}, ns, repeat, min_s / 2)
    rows.append(record("a", "qtreload.check() after any new or failed import: added", prm,
                       "ns/call", _diff(sync["alone"], sync["check"]), kind="info"))
    rows.append(record("a", "one-time: import the N modules through qtreload's loader", prm,
                       "ms", [t_import * 1e3], kind="info"))
    rows.append(record("a", "one-time: first check after those imports (watch them)", prm,
                       "ms", [t_sync * 1e3], kind="info"))

    profiles = {}
    if p.get("profile"):
        wrapped, emit_m, emit_f = ns["wrapped"], ns["emit_m_qt"], ns["emit_fn_qt"]

        def calls_loop() -> None:
            for _ in range(100_000):
                wrapped()

        def emit_loop() -> None:
            for _ in range(50_000):
                emit_m()
                emit_f()

        def import_loop() -> None:
            for _ in range(50):
                with contextlib.suppress(ImportError):
                    import qb_no_such_module  # noqa: F401
                qtreload.check()

        profiles[f"a: 100k @autoreload_slot calls, N={n}"] = profile_summary(calls_loop)
        profiles[f"a: 50k+50k qtreload.connect emissions, N={n}"] = profile_summary(emit_loop)
        profiles[f"a: 50 failed imports + check, N={n}"] = profile_summary(import_loop)
    info = {"watched": watched, "sys_modules": len(sys.modules)}
    del app
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "profiles": profiles, "info": info}


# -- (b) edit-to-effect -------------------------------------------------------------


def _make_heap(module: Any, defs: int, size: int) -> list:
    """``size`` extra live objects: 1 % instances of the module's classes, rest containers."""
    if not size:
        return []
    classes = [getattr(module, c) for c in class_names(defs)]
    instances = min(10_000, size // 100)
    anchor: list = []
    heap: list = [classes[i % len(classes)]() for i in range(instances)]
    rest = size - instances
    heap.extend([i] for i in range(rest // 2))  # lists: always gc-tracked
    heap.extend((i, anchor) for i in range(rest - rest // 2))  # tuples holding a list: tracked
    gc.collect()
    return heap


def edit(p: dict) -> dict:
    """Time one function edit in a module of ``defs`` definitions, for qtreload or IPython."""
    tool, defs, heap_size, repeat = p["tool"], p["defs"], p["heap"], p["repeat"]
    if tool != "qtreload" and _ipython_missing():
        return {"rows": [_unavailable("b", "IPython superreload()", {"defs": defs,
                                      "heap": heap_size}, "ms", NO_IPYTHON, stale=0,
                                      tool=tool)], "profiles": {}, "info": {}}
    root = _tempdir()
    if tool == "qtreload":
        import qtreload

        qtreload.configure(roots=[str(root)])
    else:
        from IPython.extensions.autoreload import superreload
    path = root / "qb_big.py"
    value = 1000
    write_file(path, big_module_source(defs, value))
    _on_path(root)
    t0 = time.perf_counter()
    import qb_big as module

    t_import = (time.perf_counter() - t0) * 1e3
    if tool == "qtreload":
        qtreload.check()  # take the module up
        assert "qb_big" in qtreload.reloader.watched()
        old_objects: dict = {}

        def reload_now() -> None:
            report = qtreload.check()
            assert report.reloaded == ("qb_big",), report
    else:
        old_objects = {}

        def reload_now() -> None:
            superreload(module, importlib.reload, old_objects)

    heap = _make_heap(module, defs, heap_size)
    live = heap[0] if heap else None
    target = module.target  # an old reference: must see the new code too
    times, stale = [], 0
    for i in range(repeat + 1):  # the first edit is a warm-up
        value += 1
        if tool != "qtreload":
            # IPython's cost grows with every reload until a full collection frees
            # the old class versions it still visits: give it its best case.
            gc.collect()
        write_file(path, big_module_source(defs, value))
        t0 = time.perf_counter_ns()
        reload_now()
        dt = time.perf_counter_ns() - t0
        if target(0) != value or module.target(0) != value:
            stale += 1
        if live is not None:
            assert live.twice() == 2 * live.get()
        if i:
            times.append(dt / 1e6)
    label = "qtreload.check()" if tool == "qtreload" else "IPython superreload()"
    prm = {"defs": defs, "heap": heap_size}
    rows = [record("b", label, prm, "ms", times, stale=stale, tool=tool)]
    if not heap_size:  # the import came before the heap: one row is enough
        how = "qtreload's loader" if tool == "qtreload" else "plain import, no .pyc"
        rows.append(record("b", f"one-time: first import of the module ({how})", prm, "ms",
                           [t_import], stale=0, tool=tool, kind="info"))
    profiles = {}
    if p.get("profile"):
        value += 1
        if tool != "qtreload":
            gc.collect()
        write_file(path, big_module_source(defs, value))
        profiles[f"b: one edit, {label}, {defs} defs, heap {heap_size:,}"] = profile_summary(
            reload_now, limit=12)
    info = {"gc_objects": len(gc.get_objects()), "old_objects": len(old_objects)}
    del heap
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "profiles": profiles, "info": info}


# -- (c) rapid same-size edits ---------------------------------------------------------

RAPID = '''"""Rapidly edited module."""
VALUE = {value}


def get():
    return VALUE
'''


def rapid(p: dict) -> dict:
    """``edits`` same-size edits, each followed at once by a reload attempt and a call."""
    tool, edits = p["tool"], p["edits"]
    if tool == "ipython" and _ipython_missing():
        return {"rows": [_unavailable("c", "IPython ModuleReloader.check() then call",
                                      {"edits": edits}, "% latest", NO_IPYTHON, tool=tool,
                                      latest=0, edits=edits)], "profiles": {}, "info": {}}
    root = _tempdir()
    if tool == "qtreload":
        import qtreload

        qtreload.configure(roots=[str(root)])
    elif tool == "ipython":
        from IPython.extensions.autoreload import ModuleReloader
    path = root / "qb_rapid.py"
    write_file(path, RAPID.format(value=100))
    _on_path(root)
    import qb_rapid as module

    if tool == "qtreload":
        qtreload.check()
        attempt = qtreload.check
    elif tool == "ipython":
        ipy = ModuleReloader()
        ipy.enabled = True
        ipy.check_all = True
        attempt = ipy.check
    else:
        def attempt() -> None:
            importlib.reload(module)

    get = module.get
    latest = 0
    t0 = time.perf_counter()
    for k in range(1, edits + 1):
        write_file(path, RAPID.format(value=100 + k))
        attempt()
        latest += get() == 100 + k
    elapsed = time.perf_counter() - t0
    pyc = sorted(x.name for x in (root / "__pycache__").glob("*.pyc")) \
        if (root / "__pycache__").exists() else []
    label = {"qtreload": "qtreload.check() then call",
             "ipython": "IPython ModuleReloader.check() then call",
             "importlib": "importlib.reload() then call"}[tool]
    row = record("c", label, {"edits": edits}, "% latest", [100.0 * latest / edits],
                 tool=tool, latest=latest, edits=edits, seconds=elapsed,
                 pyc_written=bool(pyc), dont_write_bytecode=sys.dont_write_bytecode)
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": [row], "profiles": {}, "info": {"pyc": pyc}}


# -- (d) global event hook -------------------------------------------------------------

_HOOK_INSTALLERS = ("install", "install_event_hook", "install_hook", "enable")
_HOOK_REMOVERS = ("uninstall", "uninstall_event_hook", "uninstall_hook", "remove", "disable")


def _hook_api(module: Any) -> tuple[Any, Any] | None:
    install = next((getattr(module, n) for n in _HOOK_INSTALLERS if hasattr(module, n)), None)
    remove = next((getattr(module, n) for n in _HOOK_REMOVERS if hasattr(module, n)), None)
    return (install, remove) if install and remove else None


def eventhook(p: dict) -> dict:
    """Cost per delivered Qt event with qtreload's application-wide hook, vs without."""
    n, repeat, min_s = p["n"], p["repeat"], p["min_seconds"]
    prm = {"n": n}
    if importlib.util.find_spec("qtreload._eventhook") is None:
        return {"rows": [record("d", "global event hook", prm, "ns/event", [float("nan")],
                                kind="unavailable",
                                note="not available: qtreload/_eventhook.py does not exist")],
                "profiles": {}, "info": {}}
    from qtpy.QtCore import QEvent, QObject, QPoint, QPointF, Qt
    from qtpy.QtGui import QMouseEvent
    from qtpy.QtWidgets import QApplication, QWidget

    import qtreload
    from qtreload import _eventhook

    api = _hook_api(_eventhook)
    if api is None:
        names = sorted(x for x in dir(_eventhook) if not x.startswith("__"))
        return {"rows": [record("d", "global event hook", prm, "ns/event", [float("nan")],
                                kind="unavailable",
                                note=f"not available: no install/uninstall pair in {names}")],
                "profiles": {}, "info": {}}
    install, remove = api
    app = QApplication.instance() or QApplication([])
    root = _tempdir()
    qtreload.configure(roots=[str(root)])
    names = write_small_tree(root, n)
    _on_path(root)
    for name in names:
        importlib.import_module(name)
    qtreload.check()

    class Clicked(QWidget):
        def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
            event.accept()

    class NoOpFilter(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            return False

    widget = Clicked()
    press = QMouseEvent(QEvent.MouseButtonPress, QPointF(QPoint(5, 5)), Qt.LeftButton,
                        Qt.LeftButton, Qt.NoModifier)
    user = QEvent(QEvent.User)
    ns = {"send": QApplication.sendEvent, "w": widget, "press": press, "user": user}
    stmts = {"press": "send(w, press)", "user": "send(w, user)"}

    def measure() -> dict[str, list[float]]:
        return paired_ns(stmts, ns, repeat, min_s)

    base = measure()
    noop = NoOpFilter()
    app.installEventFilter(noop)
    filtered = measure()
    app.removeEventFilter(noop)
    hook = install()
    hooked = measure()
    rows: Rows = []
    for kind, label in (("press", "mouse press (input)"), ("user", "QEvent.User (non-input)")):
        rows.append(record("d", f"sendEvent {label}, no hook", prm, "ns/event", base[kind]))
        rows.append(record("d", f"sendEvent {label}, no-op Python event filter: added", prm,
                           "ns/event", _diff(base[kind], filtered[kind]), kind="info"))
        rows.append(record("d", f"sendEvent {label}, qtreload hook: added", prm, "ns/event",
                           _diff(base[kind], hooked[kind]), kind="overhead"))
    profiles = {}
    if p.get("profile"):
        def loop() -> None:
            for _ in range(50_000):
                QApplication.sendEvent(widget, press)
                QApplication.sendEvent(widget, user)

        profiles[f"d: 50k+50k sendEvent with the hook, N={n}"] = profile_summary(loop)
    with contextlib.suppress(Exception):  # the hook's API shape is not ours to know
        remove(hook) if _takes_arg(remove) else remove()
    shutil.rmtree(root, ignore_errors=True)
    return {"rows": rows, "profiles": profiles, "info": {}}


def _takes_arg(func: Any) -> bool:
    import inspect

    try:
        return len(inspect.signature(func).parameters) > 0
    except (TypeError, ValueError):
        return False


SCENARIOS = {"idle": idle, "edit": edit, "rapid": rapid, "eventhook": eventhook,
             **_saves.SCENARIOS}


def main() -> None:
    scenario, params, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    try:
        result = SCENARIOS[scenario](params)
        result["qtreload_file"] = getattr(sys.modules.get("qtreload"), "__file__", None)
    except Exception:
        result = {"error": traceback.format_exc()}
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
