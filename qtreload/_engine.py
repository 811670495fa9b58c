"""The reloader: the stale check, serialised reloads, and the guarded call.

The stale check is the hottest path in qtreload: it runs before every wrapped
handler call. When nothing changed it is three attribute tests and one
non-blocking ``epoll`` on the inotify descriptor, whatever the number of
watched modules. Everything else happens under one lock, only when the
detector reports a possible change or new modules were imported.
"""
from __future__ import annotations

import dataclasses
import gc
import importlib.abc
import logging
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable
from typing import Any

from . import _closures, _loader
from ._compiler import ModuleInfo
from ._detector import ChangeDetector, make_detector
from ._hotswap import ClassRule, MemberRule, RegistryRule
from ._inflight import CallsInFlight
from ._report import NOTHING, ReloadFailure, ReloadReport, error_lineno
from ._tracebacks import user_exc_info
from ._transaction import KeepRule, ReloadPolicy, ReloadTransaction
from ._trim import call_trimmed
from ._watch import WatchedModule, WatchList

log = logging.getLogger("qtreload")

_get_ident = threading.get_ident

#: Seconds a reloaded module's top-level code may run before it is interrupted and
#: the reload fails (``qtreload.configure(time_limit=...)``; 0 or None: no limit).
DEFAULT_TIME_LIMIT = 5.0

#: How long one check waits for wrapped calls running in other threads to finish
#: (the reloading thread, usually the GUI thread, is blocked meanwhile; longer, up to
#: INFLIGHT_GRACE, while they are short calls starved of CPU: ``_inflight``); if they
#: still run, the reload is deferred to the next check...
INFLIGHT_TIMEOUT = 0.05
#: ...for at most this long since it was first deferred. Then it runs all the same:
#: a call still running keeps the code of its own frame, and the calls it makes
#: after the reload run the new code.
INFLIGHT_GRACE = 1.0

#: While a reload runs with calls still in flight in other threads, the interpreter
#: switches threads at most this often (seconds), so those calls do not run while
#: a module's namespace is being rebuilt (unless the module's code blocks in I/O);
#: nor does the garbage collector run meanwhile (see :meth:`Reloader._run`).
_RELOAD_SWITCH_INTERVAL = 0.25


def disabled_by_environment() -> bool:
    """``QTRELOAD=0`` turns qtreload off; frozen apps are off unless ``QTRELOAD=1``."""
    value = os.environ.get("QTRELOAD", "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return True
    return bool(getattr(sys, "frozen", False)) and value not in ("1", "true", "yes", "on")


class _ImportSpy(importlib.abc.MetaPathFinder):
    """Notes that an import is happening, so the next check looks for new modules.

    It also asks the finders after it, as importlib would, so that a module
    another finder loads from a ``.py`` file (an editable install's) is
    compiled by qtreload like any other: what it runs is known from its import
    on, not read at the first check (which would miss an edit made before).
    """

    def __init__(self, reloader: Reloader) -> None:
        self._reloader = reloader

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        self._reloader.note_import(fullname)
        finders = list(sys.meta_path)
        if self not in finders:
            return None
        for finder in finders[finders.index(self) + 1:]:
            find = getattr(finder, "find_spec", None)
            if find is None:
                return None  # a legacy finder: importlib asks them all itself
            spec = find(fullname, path, target)
            if spec is not None:
                return _loader.tracked(spec)
        return None


class Reloader:
    """Detects stale modules (its :class:`WatchList` keeps the watched ones) and reloads
    them in one transaction."""

    def __init__(self, detector: str = "auto") -> None:
        self._watchlist = WatchList()
        self.config = self._watchlist.config
        self.rules: list[ClassRule] = []
        self.member_rules: list[MemberRule] = []
        self.keep_rules: list[KeepRule] = []
        self.registry_rules: list[RegistryRule] = []
        self.time_limit: float | None = DEFAULT_TIME_LIMIT
        #: A module running in full takes along the unchanged modules that ran its
        #: code at their import (``qtreload.configure(rerun_importers=True)``).
        self.rerun_importers = False
        #: Hands reloads to the thread that must run them (the GUI thread). Called
        #: with None: must the calling thread hand a reload over (False: it is that
        #: thread, or there is none, and the reload runs now)? Called with the
        #: check to run: hands it over.
        self.dispatcher: Callable[[Callable[[], object] | None], bool] | None = None
        #: For a wrapped call made inside another one on the same thread: True if
        #: it is an event delivered by a nested event loop (a modal dialog's), which
        #: runs the stale check like an outer call.
        self.nested_event: Callable[[], bool] | None = None
        self._handed_over = False  # a reload waits to run on the dispatcher's thread
        self._deferred_since: float | None = None  # first deferral of the pending reload
        self.listeners: list[Callable[[ReloadReport], None]] = []
        self._detector_kind = detector
        self._detector: ChangeDetector | None = None
        self._pending: Callable[[], bool] = lambda: False
        self._lock = threading.RLock()
        # Per thread: [depth of wrapped calls running]. A reload waits for the
        # other threads' calls; the thread-local one-item list keeps the hot path cheap.
        self._local = threading.local()
        self._calls = CallsInFlight()
        self._reloading_thread: int | None = None
        self._spy = _ImportSpy(self)
        # Hot-path flags, read without the lock.
        self._enabled = False
        self._before_calls = True
        self._gate = False  # enabled and checking before calls: one read on the hot path
        self._busy = False
        self._new_imports = True

    # -- switching ------------------------------------------------------------

    def enable(self) -> None:
        """Start watching (idempotent). Does nothing when the environment disables qtreload."""
        if disabled_by_environment():
            return
        with self._lock:
            if self.enabled:
                return
            if self._detector is None:
                self._detector = make_detector(self._detector_kind)
                self._pending = self._detector.pending
                self._watchlist.attach(self._detector)
            _loader.install_import_hook(self)
            if self._spy not in sys.meta_path:
                sys.meta_path.insert(0, self._spy)
            self.enabled = True
            # What already-imported modules run is their file as it is now: take it
            # now, so a save before the first check is seen as a change.
            self._sync()

    def disable(self) -> None:
        """Stop checking; wrapped handlers run their current code with no check."""
        with self._lock:
            self.enabled = False
            _loader.uninstall_import_hook(self)
            if self._spy in sys.meta_path:
                sys.meta_path.remove(self._spy)

    def close(self) -> None:
        """Disable and release the detector and everything watched."""
        with self._lock:
            self.disable()
            if self._detector is not None:
                self._detector.close()
            self._detector = None
            self._pending = lambda: False
            self._watchlist.clear()

    def configure(self, roots: Iterable[str] | None = None, include: Iterable[str] | None = None,
                  exclude: Iterable[str] | None = None) -> None:
        """Change which modules are watched, from now on.

        Modules that stay watched keep what qtreload knows about them (a save
        not yet checked, live closures); so do modules watched again after an
        exclusion (an edit made meanwhile is then a change); newly watched ones
        start from their file as it is now.
        """
        roots, include, exclude = (_listed(what, value) for what, value in
                                   (("roots", roots), ("include", include), ("exclude", exclude)))
        for root in roots or ():
            if not os.path.isdir(root):
                raise ValueError(f"qtreload.configure: root {root!r} is not an existing folder")
        with self._lock:
            self._watchlist.configure(roots, include, exclude)
            self._sync()

    # -- the stale check ------------------------------------------------------

    def stale_hint(self) -> bool:
        """Cheap test: might a check have anything to do?"""
        return self._enabled and (self._pending() or self._busy or self._new_imports)

    def check(self) -> ReloadReport:
        """Reload whatever changed on disk; :data:`NOTHING` when nothing did."""
        if not (self._enabled and (self._pending() or self._busy or self._new_imports)):
            return NOTHING
        return self._locked_check(())

    def reload(self, *modules: str | types.ModuleType) -> ReloadReport:
        """Force a reload of ``modules`` (names or module objects), plus anything stale.

        Works while disabled, but not when the environment turns qtreload off.
        """
        if disabled_by_environment():
            return NOTHING
        names = [m.__name__ if isinstance(m, types.ModuleType) else m for m in modules]
        return self._locked_check(names)

    def call(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        """Run the stale check, then ``func`` with Qt-style argument trimming.

        The call counts as in flight: a reload started by another thread waits
        for it, so one call never sees half of the old code and half of the new.
        A call made inside another wrapped call on the same thread does no check
        (the outer call runs one version from start to end), unless it is an
        event delivered by a nested event loop (:attr:`nested_event`).
        """
        try:
            depth = self._local.depth
        except AttributeError:
            depth = self._local.depth = self._calls.enter_thread()
        outer = not depth[0] or (self.nested_event is not None and self.nested_event())
        depth[0] += 1
        try:
            # ``_pending()`` first: if another thread drained the change meanwhile,
            # it set ``_busy`` before, so this call waits for its reload.
            if outer and self._gate and (self._pending() or self._busy or self._new_imports):
                depth[0] -= 1
                try:
                    self._safe_check()
                finally:
                    depth[0] += 1
            return call_trimmed(func, args, kwargs)
        finally:
            depth[0] -= 1

    @property
    def enabled(self) -> bool:
        """Is the stale check on? (Set through :meth:`enable` and :meth:`disable`.)"""
        return self._enabled

    @enabled.setter
    def enabled(self, on: bool) -> None:
        self._enabled = bool(on)
        self._gate = self._enabled and self._before_calls

    @property
    def check_before_calls(self) -> bool:
        """Trigger point: run the stale check before wrapped handler calls."""
        return self._before_calls

    @check_before_calls.setter
    def check_before_calls(self, on: bool) -> None:
        self._before_calls = bool(on)
        self._gate = self._enabled and self._before_calls

    def _safe_check(self) -> None:
        """A check that never raises (but KeyboardInterrupt): an error must not reach Qt."""
        try:
            self._locked_check(())
        except KeyboardInterrupt:
            raise
        except BaseException:
            log.exception("qtreload: internal error during the stale check (ignored)")

    def _locked_check(self, forced: Iterable[str]) -> ReloadReport:
        tid = _get_ident()
        if self._reloading_thread == tid:
            return NOTHING  # module-level code of a reloading module: no recursion
        wait = (self.time_limit or DEFAULT_TIME_LIMIT) + INFLIGHT_TIMEOUT + 1.0
        if not self._lock.acquire(timeout=wait):
            # A reload stuck where it cannot be interrupted (a C call that blocks):
            # never wait for it without bound.
            log.warning("qtreload: a reload in another thread has run for more than %g s; "
                        "this call goes ahead without waiting for it", wait)
            return NOTHING
        # Busy from before the detector is drained: a call in another thread
        # that finds nothing pending any more then waits for this check.
        was_busy, self._busy = self._busy, True
        try:
            if self._new_imports:
                self._new_imports = False
                self._watchlist.sync_imports()
            watchlist = self._watchlist
            changed = watchlist.read_changes() or watchlist.news
            watchlist.news = False
            for name in forced:
                watchlist.force(name)
                changed = True
            stale = watchlist.stale() if changed else {}
            if not stale:
                self._deferred_since = None
                return NOTHING
            if self.dispatcher is not None and self._hand_over():
                return NOTHING
            return self._run(stale)
        finally:
            self._busy = was_busy
            self._lock.release()

    def _hand_over(self) -> bool:
        """Give the reload to the dispatcher's thread; True if this thread must not run it.

        The changes read stay pending (the watch list's ``news``), so the check there finds them.
        """
        assert self.dispatcher is not None
        if not self.dispatcher(None):
            return False
        self._watchlist.news = self._new_imports = True
        if not self._handed_over:  # else already on its way
            self._handed_over = True
            self.dispatcher(self._run_handed_over)
        return True

    def _run_handed_over(self) -> None:
        """On the dispatcher's thread: the reload another thread found."""
        self._handed_over = False
        self._safe_check()

    def _run(self, stale: dict[WatchedModule, bytes]) -> ReloadReport:
        self._reloading_thread = _get_ident()
        switch = sys.getswitchinterval()
        try:
            # A first check waits longer for starved short calls; once deferred, not again.
            limit = INFLIGHT_GRACE if self._deferred_since is None else INFLIGHT_TIMEOUT
            if not self._calls.others_finished(INFLIGHT_TIMEOUT, limit):
                now = time.monotonic()
                if self._deferred_since is None:
                    self._deferred_since = now
                if now - self._deferred_since < INFLIGHT_GRACE:
                    # Let a short call in another thread finish on one version.
                    self._watchlist.news = self._new_imports = True
                    return NOTHING
                # A call still runs in another thread (a worker loop): it keeps its
                # own frame's code; keep it off the interpreter while namespaces
                # are rebuilt.
                sys.setswitchinterval(max(switch, _RELOAD_SWITCH_INTERVAL))
            self._deferred_since = None
            # No garbage collection while namespaces are rebuilt: it runs finalizers
            # (a Qt object's C++ destructor) that let other threads run, and a call
            # there would find the module half-built (NameError on an imported name).
            collecting = gc.isenabled()
            gc.disable()
            try:
                report = self._reload(stale)
            finally:
                if collecting:
                    gc.enable()
            _closures.forget_dead()
        finally:
            sys.setswitchinterval(switch)
            self._reloading_thread = None
        self._publish(report)
        return report

    def _reload(self, stale: dict[WatchedModule, bytes]) -> ReloadReport:
        """Reload ``stale`` as one transaction; note what failed, and what waits and why."""
        report = self._transaction(stale)
        if report.ok:
            self._watchlist.committed(report.reloaded)
        else:
            self._watchlist.failed(stale, {f.module: f.message for f in report.failures})
        return dataclasses.replace(report, waiting=self.waiting())

    def waiting(self) -> dict[str, str]:
        """Watched modules whose save on disk is not running, and why (for reports and UIs)."""
        return self._watchlist.waiting()

    def _transaction(self, stale: dict[WatchedModule, bytes]) -> ReloadReport:
        """Run the reload; an error in qtreload itself fails it like a bad save would.

        So the same content is not tried again at every check (blocking the
        other modules' saves), and the error is logged once, naming the files.
        """
        try:
            policy = ReloadPolicy(tuple(self.rules), tuple(self.member_rules),
                                  tuple(self.keep_rules), tuple(self.registry_rules),
                                  self.time_limit, self.rerun_importers)
            return ReloadTransaction(stale, self._watchlist.records, policy).run()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            log.error("qtreload: internal error while reloading %s",
                      ", ".join(sorted(r.name for r in stale)))
            return ReloadReport(failures=tuple(
                ReloadFailure(r.name, r.path, exc, error_lineno(exc, r.path)) for r in stale))

    def _publish(self, report: ReloadReport) -> None:
        for failure in report.failures:
            _log_failure(failure)
        for name in report.reloaded:
            log.info("qtreload: reloaded %s", name)
        for warning in report.warnings:
            log.warning("qtreload: %s", warning.message)
        for listener in list(self.listeners):
            try:
                listener(report)
            except Exception:
                log.exception("qtreload: reload listener failed (ignored)")

    # -- the watch list -------------------------------------------------------

    def is_watched(self, name: str, path: str) -> bool:
        """Import hook: is the module ``name`` being imported from ``path`` one we watch?"""
        return self.enabled and self._watchlist.accepts(name, path)

    def on_compiled(self, name: str, info: ModuleInfo, module: object) -> None:
        """Import hook: ``module`` (``sys.modules[name]`` now) is about to run the code
        compiled from ``info.source``."""
        self._watchlist.on_compiled(name, info, module)
        self.note_import(name)

    def note_import(self, name: str) -> None:
        """An import of ``name`` started: the next check looks at that module only."""
        self._watchlist.note_import(name)
        self._new_imports = True

    def _sync(self) -> None:
        """Sync outside a check; the next check picks up what the sync found."""
        self._watchlist.sync()
        if self._watchlist.news:
            self._new_imports = True  # the check's fast path must look

    def watched(self) -> dict[str, WatchedModule]:
        """The watched modules by name (a copy); syncs with ``sys.modules`` first."""
        with self._lock:
            self._sync()
            return dict(self._watchlist.records)


def _listed(what: str, values: Iterable[Any] | None) -> list[str] | None:
    """``values`` as a list of strings; a lone string or path is a ``TypeError``, not letters."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, os.PathLike)):
        raise TypeError(f"qtreload.configure: {what} must be a list of "
                        f"{'folders' if what == 'roots' else 'patterns'}, not the single "
                        f"{type(values).__name__} {values!r} (write [{values!r}])")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"qtreload.configure: {what} must be a list, not {values!r}") from None
    if what == "roots":
        items = [os.fspath(item) if isinstance(item, os.PathLike) else item for item in items]
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"qtreload.configure: each of {what} must be a str, not {item!r}")
    return items


def _log_failure(failure: ReloadFailure) -> None:
    log.error("qtreload: reloading %s failed, the app keeps its last good code: %s",
              failure.module, failure.message, exc_info=user_exc_info(failure.exception))
