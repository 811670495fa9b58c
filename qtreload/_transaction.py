"""The reload transaction: run every changed module, hot-swap, commit or roll back.

All changed sources of one check are compiled and run in dependency order,
each in its own live module namespace (so new functions get the right
globals). Only when all of them ran, and the hot-swap applied, is the result
committed. On any error every namespace is restored from its snapshot and
every hot-swap edit undone: no half-run module, no names left behind.

A module whose save only edited function and class definitions takes the fast
path (:mod:`._fastpath`): only those statements run, in the live namespace
without clearing it, so everything else keeps its objects and module-level
data survives. The snapshot, hot-swap and rollback are the same.
"""
from __future__ import annotations

import functools
import importlib.util
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._compiler import ModuleInfo, recompile
from ._fastpath import Chunk, find_chunk
from ._hotswap import ABSENT, ClassRule, HotSwap, MemberRule, ModuleChange, Rebind, RegistryRule
from ._importers import runs_code_of
from ._imports import FromImport, imports_seen, public_names, reload_order
from ._report import FAST_PATH, FULL_RUN, ReloadFailure, ReloadReport, ReloadWarning, error_lineno
from ._timelimit import time_limit
from ._watch import WatchedModule

_KEEP = frozenset({
    "__name__", "__file__", "__spec__", "__loader__", "__package__", "__path__",
    "__cached__", "__builtins__",
})


#: A keep rule looks at a value a reload drops from a module namespace (replaced
#: by a good save, or made by a failed one): the reason it must stay alive, or None.
#: The Qt adapter uses it for running ``QThread`` objects (destroying one aborts).
KeepRule = Callable[[Any], "str | None"]

# Values kept alive by a keep rule; they live as long as the app.
_kept: list[Any] = []


@dataclass(frozen=True)
class ReloadPolicy:
    """The rules and limits a transaction applies (the adapters plug theirs in)."""

    class_rules: tuple[ClassRule, ...] = ()
    member_rules: tuple[MemberRule, ...] = ()
    keep_rules: tuple[KeepRule, ...] = ()
    registry_rules: tuple[RegistryRule, ...] = ()
    time_limit: float | None = None  # seconds for each module's code; None: no limit
    #: Re-run the importers that ran a module's code at their import when it runs in
    #: full (:mod:`._importers`).
    rerun_importers: bool = False


@dataclass
class _Step:
    record: WatchedModule
    source: bytes
    info: ModuleInfo | None = None  # the new source, described
    fast: Chunk | None = None  # the fast path: run only this chunk, without clearing
    snapshot: dict = field(default_factory=dict)  # the namespace before the run; empty until then
    started: bool = False  # its run began (it may still be running: a module importing it back)

    #: What ``sys.modules`` held before a full run put the module back there (its
    #: code had put another object in its place); ABSENT: it held the module.
    displaced: Any = ABSENT

    @property
    def namespace(self) -> dict:
        return self.record.namespace


def _star_names(record: WatchedModule, module: str) -> frozenset[str] | None:
    """What ``from module import *`` in ``record``'s module gives now (None: unknown)."""
    package = record.name if record.is_package else record.name.rpartition(".")[0]
    try:
        name = importlib.util.resolve_name(module, package) if module.startswith(".") else module
    except (ImportError, ValueError):
        return None
    namespace = getattr(sys.modules.get(name), "__dict__", None)
    return None if namespace is None else frozenset(public_names(namespace))


def _exported(namespace: dict) -> dict[str, Any]:
    """What ``from module import *`` takes from a module namespace, by name."""
    return {name: namespace[name] for name in public_names(namespace) if name in namespace}


class _ImportGraph(Mapping[str, frozenset[str]]):
    """Each watched module's imports, read when asked (a reload looks at a few)."""

    def __init__(self, watched: Mapping[str, WatchedModule]) -> None:
        self._watched = watched

    def __getitem__(self, name: str) -> frozenset[str]:
        return self._watched[name].imports.modules

    def __contains__(self, name: object) -> bool:
        return name in self._watched

    def __iter__(self) -> Iterator[str]:
        return iter(self._watched)

    def __len__(self) -> int:
        return len(self._watched)


class ReloadTransaction:
    """One all-or-nothing reload of a set of changed modules."""

    def __init__(self, changed: Mapping[WatchedModule, bytes],
                 watched: Mapping[str, WatchedModule], policy: ReloadPolicy) -> None:
        self._steps = {record.name: _Step(record, source) for record, source in changed.items()}
        self._watched = watched
        self._policy = policy
        self._ran: list[_Step] = []  # the steps that ran, in the order they finished
        self._culprit: _Step | None = None  # the step whose run raised first
        self._error: BaseException | None = None
        self._running = False  # a module's code is running (another's may run inside it)

    def run(self) -> ReloadReport:
        """Reload, and commit on full success; otherwise change nothing."""
        for step in self._steps.values():
            try:
                step.info = recompile(step.record.info, step.source, step.record.path)
            except Exception as exc:  # SyntaxError; ValueError: null bytes; anything else
                return self._failed(step, exc)
            # A module that imports another one reloading now re-runs its imports.
            if not step.record.imports.modules & self._steps.keys():
                step.fast = find_chunk(step.record.info, step.info,
                                       functools.partial(_star_names, step.record),
                                       step.namespace)
        if self._policy.rerun_importers:
            self._add_importers()
        graph = _ImportGraph(self._watched)
        # sys.modules holds modules in the order they finished their first run (importlib
        # moves each to the end when it finishes): in a cycle, the last one to finish
        # is the one whose import started the others. (Only reloaded modules are ranked.)
        steps = self._steps
        # (a copy: another thread may import meanwhile)
        entered = {name: -i for i, name in enumerate(list(sys.modules)) if name in steps}
        order = reload_order(self._steps, graph, entered)
        swap: HotSwap | None = None
        try:
            with imports_seen(self._before_import):
                for name in order:
                    self._start(self._steps[name])
            if self._error is not None:
                raise self._error  # caught by the module that imported it: still a failure
            order = [step.record.name for step in self._ran]  # as they finished
            swap = self._plan(order)
            swap.apply()
        except BaseException as exc:
            undone = [step for step in self._steps.values() if step.started]
            # What the failed run made is dropped (the new namespace).
            kept = [w for s in undone for w in self._keep_dropped(s, s.namespace, s.snapshot)]
            self._restore(undone)
            if isinstance(exc, KeyboardInterrupt):
                raise  # still nothing changed, and the user gets it
            # Any other BaseException (SystemExit, GeneratorExit, the app's own) is
            # a failed reload like any error: reported once, never raised into Qt.
            failed = swap.failed_module if swap is not None else None
            culprit = (self._culprit or (self._steps.get(failed) if failed else None)
                       or self._steps[order[-1]])
            return self._failed(culprit, exc, kept)
        warnings = list(swap.warnings)
        for name in order:
            done = self._steps[name]
            assert done.info is not None  # compiled above
            done.record.commit(done.source, done.info)
            # What the good save replaced is dropped (the old namespace's values).
            warnings += self._keep_dropped(done, done.snapshot, done.namespace)
        swap.relink(self._policy.registry_rules, [self._steps[name].namespace for name in order])
        paths = {name: FAST_PATH if self._steps[name].fast else FULL_RUN for name in order}
        return ReloadReport(reloaded=tuple(order), warnings=tuple(warnings), paths=paths)

    def _add_importers(self) -> None:
        """The unchanged modules that ran code of a module running in full at their import
        run again too, in full (and theirs, in turn), as a restart runs them."""
        full = {name for name, step in self._steps.items() if step.fast is None}
        while full:
            added = set()
            for name, record in self._watched.items():
                info = record.info
                if (name not in self._steps and info is not None
                        and record.runs_in(sys.modules.get(name))
                        and runs_code_of(name, info, record.namespace) & full):
                    self._steps[name] = _Step(record, info.source, info)
                    added.add(name)
            full = added

    def _keep_dropped(self, step: _Step, dropped: dict, kept: dict) -> list[ReloadWarning]:
        """Keep alive what the keep rules ask for among ``dropped``'s values not in ``kept``."""
        rules = self._policy.keep_rules
        if not rules:
            return []
        present = {id(value) for value in kept.values()}
        names = step.fast.names if step.fast is not None else list(dropped)
        warnings = []
        for name in names:
            value = dropped.get(name, ABSENT)
            if value is ABSENT or id(value) in present:
                continue
            for rule in rules:
                reason = rule(value)
                if reason:
                    _kept.append(value)
                    warnings.append(ReloadWarning(step.record.name, name, reason, False))
                    break
        return warnings

    def _start(self, step: _Step) -> None:
        """Run ``step`` unless it started already (a module importing itself back, in a cycle)."""
        if step.started:
            return
        step.started = True
        try:
            self._execute(step)
        except BaseException as exc:
            if self._culprit is None:  # the innermost: where the error is
                self._culprit, self._error = step, exc
            raise
        self._ran.append(step)

    def _before_import(self, names: list[str]) -> None:
        """A module being run imports ``names``: a changed one among them runs now, first."""
        for name in names:
            step = self._steps.get(name)
            if step is not None:
                self._start(step)

    def _execute(self, step: _Step) -> None:
        namespace = step.namespace
        step.snapshot = dict(namespace)
        run = step.fast if step.fast is not None else step.info
        assert run is not None  # compiled before any step runs
        # One watchdog per thread: a module run by another's import statement runs
        # within the limit of the module that imports it.
        nested, self._running = self._running, True
        try:
            with time_limit(None if nested else self._policy.time_limit):
                # Emptied only now, once the watchdog is armed (which may start its
                # thread, and so let other threads run): a call in another thread
                # must not find the module without its names.
                if step.fast is None:
                    self._empty(step.record.name, namespace)
                    self._put_back(step)
                run.run(namespace)
        finally:
            self._running = nested

    @staticmethod
    def _put_back(step: _Step) -> None:
        """A full run starts, as at the import, with the module itself in ``sys.modules``.

        For a module whose code put another object in its place: its code then
        replaces (or wraps) the module again, not the object it made last time.
        """
        record = step.record
        if record.stand_in is not None and sys.modules.get(record.name) is record.stand_in:
            step.displaced = record.stand_in
            sys.modules[record.name] = record.live  # type: ignore[assignment]  # (alive: runs)

    @staticmethod
    def _empty(name: str, namespace: dict) -> None:
        """What a full run starts from: the namespace of a module being imported."""
        for key, value in list(namespace.items()):
            submodule = (isinstance(value, types.ModuleType)
                         and value.__name__ == f"{name}.{key}")
            if key not in _KEEP and not submodule:
                del namespace[key]
        namespace["__doc__"] = None

    def _plan(self, order: list[str]) -> HotSwap:
        swap = HotSwap(self._policy.class_rules, self._policy.member_rules)
        swap.plan([self._change(self._steps[name]) for name in order], self._rebinds())
        return swap

    def _change(self, step: _Step) -> ModuleChange:
        """What the hot-swap needs to know about ``step``'s run."""
        old_info, names = step.record.info, None
        old_codes: Sequence[types.CodeType] | None
        new_codes: Sequence[types.CodeType]
        if step.fast is not None:
            old_codes, new_codes = step.fast.old_codes, step.fast.new_codes
            names = step.fast.names  # the fast path changed no other name
        else:
            old_codes = old_info.codes() if old_info is not None else None
            new_codes = step.info.codes() if step.info is not None else ()
        found = sys.modules.get(step.record.name)
        outside = () if found is None or found is step.record.live else (found,)
        return ModuleChange(step.record.name, step.snapshot, step.namespace, step.record.removed,
                            old_codes, new_codes, names, self._changed_values(step), outside,
                            step.fast.moves if step.fast is not None else ())

    def _rebinds(self) -> Iterator[Rebind]:
        """The names modules that did not re-run imported from the reloaded ones."""
        for imported, importer in self._from_imports():
            step = self._steps[imported.module]
            namespace = getattr(sys.modules.get(importer), "__dict__", None)
            if namespace is None:
                continue
            if imported.name == "*":
                # What a restart's ``import *`` gives: the names exported now, not before.
                old = _exported(step.snapshot)
                new = _exported(step.namespace)
                for name in {**old, **new}:
                    yield Rebind(imported.module, namespace, name,
                                 old.get(name, ABSENT), new.get(name, ABSENT))
            # A name the module no longer defines stays as the importer has it.
            elif imported.name in step.snapshot and imported.name in step.namespace:
                yield Rebind(imported.module, namespace, imported.alias,
                             step.snapshot[imported.name], step.namespace[imported.name])

    @staticmethod
    def _changed_values(step: _Step) -> dict:
        """The part of the step's namespace the run can have changed."""
        if step.fast is None:
            return step.namespace
        namespace = step.namespace
        changed = {name: namespace[name] for name in step.fast.names if name in namespace}
        changed["__name__"] = namespace["__name__"]
        return changed

    def _from_imports(self) -> Iterable[tuple[FromImport, str]]:
        """``from X import NAME`` in watched modules that did not re-run, X re-ran.

        (A module on the fast path never has its imports among the changed ones.)
        """
        for name, record in self._watched.items():
            if name in self._steps:
                continue
            for imported in record.imports.names:
                if imported.module in self._steps:
                    yield imported, name

    @staticmethod
    def _restore(steps: list[_Step]) -> None:
        """Put each namespace back; never one without the names it had.

        Another thread's call may run the module's functions meanwhile (when
        freeing what the failed run made lets it in): the names come back
        first, the failed run's extra names go after, and what they held is
        freed once every namespace is whole.
        """
        dropped: list[Any] = []
        for step in reversed(steps):
            if step.displaced is not ABSENT:
                sys.modules[step.record.name] = step.displaced
            namespace, snapshot = step.namespace, step.snapshot
            dropped.extend(namespace.values())
            namespace.update(snapshot)
            for name in namespace.keys() - snapshot.keys():
                del namespace[name]
        dropped.clear()

    @staticmethod
    def _failed(step: _Step, exc: BaseException,
                warnings: Iterable[ReloadWarning] = ()) -> ReloadReport:
        path = step.record.path
        failure = ReloadFailure(step.record.name, path, exc, error_lineno(exc, path))
        return ReloadReport(failures=(failure,), warnings=tuple(warnings))
