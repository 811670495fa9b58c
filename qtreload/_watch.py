"""Which modules are watched, and what qtreload knows about each one (the watch list)."""
from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import stat
import sys
import sysconfig
import types
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._compiler import ModuleInfo
from ._imports import ModuleImports, StatementImports, scan_imports

if TYPE_CHECKING:
    from ._detector import ChangeDetector

log = logging.getLogger("qtreload")

#: A module that sets ``__qtreload__ = False`` at top level is never watched.
OPT_OUT_MARKER = "__qtreload__"

_STDLIB = tuple(
    os.path.realpath(p) + os.sep
    for key in ("stdlib", "platstdlib")
    if (p := sysconfig.get_paths().get(key))
)
_THIRD_PARTY = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


# Paths and folders resolved by :func:`real_path` since the last sync (cleared at
# each sync: a link retargeted later is resolved again for modules imported after).
_resolved: dict[str, str] = {}


def real_path(path: str) -> str:
    """``os.path.realpath(path)``, each path and folder resolved once between syncs.

    A start imports hundreds of modules from a few folders, and looks at each
    path several times: resolving the whole path each time costs one ``lstat``
    per component; with the folder known, the file itself takes one (is it a
    symlink?), once.
    """
    real = _resolved.get(path)
    if real is None:
        folder, name = os.path.split(path)
        joined = os.path.join(_real_folder(folder), name)
        real = _resolved[path] = (os.path.realpath(joined) if os.path.islink(joined)
                                  else joined)
    return real


def _real_folder(folder: str) -> str:
    real = _resolved.get(folder)
    if real is None:
        real = _resolved[folder] = os.path.realpath(folder)
    return real


def fingerprint(source: bytes) -> bytes:
    """Content fingerprint: a touch or an identical save gives the same value."""
    return hashlib.blake2b(source, digest_size=16).digest()


def read_source(path: str) -> bytes | None:
    """The bytes of the regular file at ``path`` now, or None if it cannot be read.

    Never blocks: the file is opened non-blocking and anything but a regular
    file (a FIFO put in its place would block ``open`` until a writer comes) is
    not read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def file_fingerprint(path: str) -> bytes | None:
    """The fingerprint of the file at ``path`` now, or None if it cannot be read."""
    source = read_source(path)
    return None if source is None else fingerprint(source)


def symlinks_on(path: str) -> tuple[str, ...]:
    """Every symbolic link met in resolving ``path`` (file or folder), in order.

    Each is named as a path in a real folder, so a detector watching it sees the
    link replaced (a retarget: ``ln -sfn``). Links that point at links count too.
    """
    drive, rest = os.path.splitdrive(os.path.abspath(path))
    pending = [part for part in reversed(rest.split(os.sep)) if part]
    current = drive + os.sep
    links: list[str] = []
    while pending and len(links) < 40:  # a loop of links: stop as realpath gives up
        part = pending.pop()
        if part in (".", ""):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            target = os.readlink(candidate)
        except OSError:  # not a link (or missing): a real step
            current = candidate
            continue
        links.append(candidate)
        if os.path.isabs(target):
            drive, target = os.path.splitdrive(target)
            current = drive + os.sep
        pending.extend(part for part in reversed(target.split(os.sep)) if part)
    return tuple(links)


def places_for(name: str) -> list[str]:
    """Where the file of the missing module ``name`` would appear, to be watched.

    For its first missing ancestor (``a`` of ``a.b``, if ``a`` is missing): the
    ``.py`` file and the package folder it would be, in each folder of its parent
    package's ``__path__`` (or of ``sys.path``) that exists and that qtreload
    would watch (not the standard library nor ``site-packages``). Empty if the
    module is there.
    """
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        missing = ".".join(parts[:depth])
        if missing not in sys.modules:
            break
    else:
        return []
    parent = sys.modules.get(missing.rpartition(".")[0]) if depth > 1 else None
    folders = getattr(parent, "__path__", None) if depth > 1 else sys.path
    places = []
    for folder in list(folders or ()):
        if not isinstance(folder, str):
            continue
        folder = os.path.realpath(folder or os.curdir)
        if (os.path.isdir(folder) and not (folder + os.sep).startswith(_STDLIB)
                and not any(part in folder + os.sep for part in _THIRD_PARTY)):
            places += [os.path.join(folder, f"{parts[depth - 1]}.py"),
                       os.path.join(folder, parts[depth - 1])]
    return places


#: The running script's names: ``multiprocessing`` aliases ``__main__`` as
#: ``__mp_main__`` (pyqtgraph imports it). Re-running the script would start a
#: second application and event loop inside the first.
MAIN_NAMES = frozenset({"__main__", "__mp_main__"})


@dataclass
class WatchConfig:
    """Which imported modules to watch.

    By default: every module loaded from a ``.py`` file, except the standard
    library, ``site-packages``/``dist-packages``, qtreload itself and ``__main__``.
    ``roots`` limits watching to files under those folders; ``include`` and
    ``exclude`` are ``fnmatch`` patterns on module names (``"myapp.*"``).
    """

    roots: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def source_path(self, name: str, module: object) -> str | None:
        """The real path of ``module``'s source if it is to be watched, else None."""
        if name in MAIN_NAMES or name == "qtreload" or name.startswith("qtreload."):
            return None
        if module is sys.modules.get("__main__"):
            return None  # the script, under another name: never re-run it
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py") or not os.path.isabs(path):
            # a relative name is no file: shiboken6 loads its support modules from
            # memory as "shibokensupport/..." (watched, they made every check poll)
            return None
        if getattr(module, "__dict__", {}).get(OPT_OUT_MARKER, True) is False:
            return None
        path = real_path(path)
        if path.startswith(_STDLIB) or any(part in path for part in _THIRD_PARTY):
            return None
        if self.roots and not any(
            path.startswith(_real_folder(r).rstrip(os.sep) + os.sep)
            for r in self.roots
        ):
            return None
        if self.include and not any(fnmatch.fnmatchcase(name, p) for p in self.include):
            return None
        return None if any(fnmatch.fnmatchcase(name, p) for p in self.exclude) else path


@dataclass(eq=False)
class WatchedModule:
    """A watched module: the source it runs, and what is waiting on disk."""

    name: str
    path: str
    is_package: bool
    fingerprint: bytes
    imports: ModuleImports
    #: The source it runs and its top-level statements, if qtreload compiled it
    #: (modules imported before qtreload was enabled have none until a reload).
    info: ModuleInfo | None = None
    disk: bytes | None = None  # newer source on disk, not committed yet
    failed: bytes | None = None  # fingerprint whose reload failed (reported once)
    #: Why that save failed (one line), and what its source imports: it is tried
    #: again when one of those changes or appears.
    error: str = ""
    failed_imports: frozenset[str] = frozenset()
    failed_at: int = 0  # the engine's commit count when it failed
    #: Not failed itself: saved with these modules, whose saves failed.
    blocked_by: frozenset[str] = frozenset()
    deleted: bool = False  # the file is missing, or empty (a save half-way)
    module: weakref.ref | None = None  # the module object this record is about
    #: What ``sys.modules`` holds in the module's place when its code put another
    #: object there (``sys.modules[__name__] = obj``); the module itself, then held
    #: here, is still the one reloaded.
    stand_in: Any = None
    _held: types.ModuleType | None = None
    #: Definitions a save removed; one that comes back revives the same object.
    removed: dict[str, Any] = field(default_factory=dict)
    #: The imports of its statements, by text: a save scans the ones it changed.
    statement_imports: StatementImports = field(default_factory=StatementImports)
    #: The module's ``__file__`` when a symbolic link (file or folder) leads to
    #: ``path``, and those links: a link retargeted is a change of file.
    file: str = ""
    links: tuple[str, ...] = ()

    @classmethod
    def from_source(cls, name: str, module: types.ModuleType, path: str, source: bytes,
                    info: ModuleInfo | None = None) -> WatchedModule:
        is_package = hasattr(module, "__path__")
        found = info.found_imports if info is not None and info.source is source else None
        imports = scan_imports(source, name, is_package, found)
        return cls(name, path, is_package, fingerprint(source), imports, info,
                   module=weakref.ref(module))

    def runs_in(self, module: object) -> bool:
        """Is ``module`` (what ``sys.modules`` holds now) the module this record is about,
        or what its code put in its place?"""
        return module is not None and (module is self.live or module is self.stand_in)

    @property
    def live(self) -> types.ModuleType | None:
        """The module object this record is about (None: gone)."""
        return self.module() if self.module is not None else None

    @property
    def namespace(self) -> dict[str, Any]:
        """The namespace of the module this record is about (the one reloads run in)."""
        module = self.live
        if module is None:
            raise LookupError(f"qtreload: the module {self.name} is gone")
        return module.__dict__

    def follow(self, found: object) -> None:
        """``found`` is what ``sys.modules`` holds now, after the module's code ran."""
        module = self.live
        replaced = found is not None and found is not module
        self.stand_in = found if replaced else None
        self._held = module if replaced else None

    def commit(self, source: bytes, info: ModuleInfo) -> None:
        """The live module now runs ``source`` (described by ``info``)."""
        self.fingerprint = fingerprint(source)
        if info is not self.info:  # (the same: the source the imports were read from)
            self.imports = self.statement_imports.scan(
                (statement.key for statement in info.statements), self.name, self.is_package)
        self.info = info
        self.disk = self.failed = None
        self.error, self.blocked_by = "", frozenset()
        self.follow(sys.modules.get(self.name))

    def fail(self, source: bytes, error: str, commits: int,
             blocked_by: frozenset[str] = frozenset()) -> None:
        """The save ``source`` failed with ``error`` (or only with ``blocked_by``'s).

        ``commits``: the engine's count of committed modules now.
        """
        self.failed, self.error, self.failed_at = fingerprint(source), error, commits
        self.failed_imports = scan_imports(source, self.name, self.is_package).modules
        self.blocked_by = blocked_by


_EMPTY = fingerprint(b"")


class WatchList:
    """The watched modules: which ones, their files, and the saves waiting on disk.

    It follows ``sys.modules`` (:meth:`sync`), reads the files the detector
    reports, and says which modules are stale. The reloader calls it under its
    lock, except :meth:`note_import` and :meth:`on_compiled` (from any import).
    """

    def __init__(self) -> None:
        self.config = WatchConfig()
        #: Told which files to watch, once the reloader made it (enabled).
        self.detector: ChangeDetector | None = None
        #: The watched modules by name.
        self.records: dict[str, WatchedModule] = {}
        self._by_path: dict[str, list[str]] = {}
        self._ignored: set[str] = set()
        self._compiled: dict[tuple[str, str], tuple[ModuleInfo, object]] = {}
        self._parked: dict[str, WatchedModule] = {}  # excluded by configure(), kept for later
        #: Where the files of missing modules that failed saves import would appear:
        #: path -> those modules. One appearing retries the saves.
        self._awaited: dict[str, set[str]] = {}
        self._commits = 0  # modules committed so far
        self._committed: dict[str, int] = {}  # module -> the count when it last committed
        self._imported: set[str] | None = None  # to look at in the next sync; None: all
        self._known: set[str] = set()  # the sys.modules names the last syncs looked at
        #: A sync or read found content not yet tried (a module whose file differs
        #: from what it runs).
        self.news = False

    def attach(self, detector: ChangeDetector) -> None:
        """From now on, ``detector`` watches the files of the watched modules."""
        self.detector = detector
        for path in self._by_path:
            detector.watch(path)

    def clear(self) -> None:
        """Forget everything watched, and the detector."""
        self.detector = None
        self.records.clear()
        self._by_path.clear()
        self._ignored.clear()
        self._parked.clear()
        self._compiled.clear()
        self._awaited.clear()

    def configure(self, roots: list[str] | None, include: list[str] | None,
                  exclude: list[str] | None) -> None:
        """Change the configuration; modules it no longer watches are parked for later.

        The caller syncs next, to watch what it now includes.
        """
        if roots is not None:
            self.config.roots = roots
        if include is not None:
            self.config.include = list(include)
        if exclude is not None:
            self.config.exclude = list(exclude)
        for name in list(self.records):
            module = sys.modules.get(name)
            if module is None or self.config.source_path(name, module) is None:
                self._parked[name] = self.records[name]
                self._forget(name)
        for name, record in list(self._parked.items()):
            module = sys.modules.get(name)
            if not record.runs_in(module):
                del self._parked[name]  # gone, or imported anew: starts afresh
            elif self.config.source_path(name, module) == record.path:
                del self._parked[name]
                self._watch_record(record)
                self.news |= self._read(record)  # edited while it was not watched?
        self._ignored.clear()

    # -- following sys.modules ------------------------------------------------

    def accepts(self, name: str, path: str) -> bool:
        """Is the module ``name`` being imported from ``path`` one to watch?"""
        return name not in MAIN_NAMES and self.config.source_path(
            name, types.SimpleNamespace(__file__=path)) is not None

    def on_compiled(self, name: str, info: ModuleInfo, module: object) -> None:
        """``module`` (``sys.modules[name]`` now) is about to run the code compiled
        from ``info.source``.

        Kept by name and file: a file run by hand under a module's name (into a
        module ``sys.modules`` never holds) is not what that module runs.
        """
        self._compiled[name, real_path(info.path)] = (info, module)

    def note_import(self, name: str) -> None:
        """An import of ``name`` started: the next sync of imports looks at that module."""
        names = self._imported
        if names is not None:
            names.add(name)

    def sync_imports(self) -> None:
        """Sync the modules imported since the last sync of imports."""
        names, self._imported = self._imported, set()
        self.sync(names)

    def sync(self, names: set[str] | None = None) -> None:
        """Watch modules imported since the last check; forget removed ones.

        ``names``: only those modules (the imports seen since the last sync), so
        an import costs the same whatever the number of watched modules; None:
        all of ``sys.modules``. Sets :attr:`news` if a newly watched module's file
        already differs from what it runs.
        """
        if names is None:
            modules: dict[str, types.ModuleType | None] = dict(sys.modules)
            for name, record in list(self.records.items()):
                if not record.runs_in(modules.get(name)):
                    self._forget(name)  # gone, or re-imported: another module object
            self._known = set(modules)
        else:
            # Also what entered sys.modules without an import the spy saw
            # (``sys.modules[name] = module_from_spec(...)``): a set difference in C.
            self._known &= sys.modules.keys()
            names = names | (sys.modules.keys() - self._known)
            self._known |= names
            modules = {name: sys.modules.get(name) for name in names}
            for name, module in modules.items():
                known = self.records.get(name)
                if module is None and self._imported is not None:
                    self._imported.add(name)  # still importing: look again next time
                elif known is not None and not known.runs_in(module):
                    self._forget(name)  # re-imported: another module object
        waited_for: set[str] | None = None  # what the failed saves import
        ran: dict[str, list[Any]] = {}  # the modules qtreload compiled code for, by name
        for (compiled, _), (_, ran_in) in self._compiled.items():
            if ran_in is not None:
                ran.setdefault(compiled, []).append(ran_in)
        for name, found in modules.items():
            if name in self.records or name in self._ignored or found is None:
                continue
            module = self._replaced(ran.get(name, ()), found)
            path = self.config.source_path(name, module)
            if path is None:
                self._ignored.add(name)
                continue
            if self.detector is not None:
                self.detector.watch(path)
            info = self._compiled.pop((name, path), (None, None))[0]
            source = info.source if info is not None else None
            disk = read_source(path)
            runs = source or disk
            if runs is None:
                continue
            record = WatchedModule.from_source(name, module, path, runs, info)
            record.follow(found)
            if path != os.path.abspath(module.__file__):  # symbolic links on the way?
                record.file, record.links = module.__file__, symlinks_on(module.__file__)
            self._watch_record(record)
            if source is not None and disk is not None and disk != source:
                self.news |= self._read(record)  # edited between import and now
            self._count_commit(name)  # newly there: a failed save that imports it may work now
            if waited_for is None:  # (once: a start watches hundreds of modules here)
                waited_for = set().union(*(r.failed_imports for r in self.records.values()
                                           if r.failed is not None))
            self.news |= name in waited_for
        self._compiled.clear()
        _resolved.clear()

    @staticmethod
    def _replaced(ran: Iterable[Any], found: object) -> Any:
        """The module ``found`` (what ``sys.modules`` holds) stands in for, else ``found``.

        ``ran``: the modules qtreload compiled code for under that name. One that is
        no longer in ``sys.modules``, with another object there, was replaced while
        it ran (or since): by its own code, ``sys.modules[__name__] = obj``.
        """
        return next((module for module in ran if module is not found), found)

    def _watch_record(self, record: WatchedModule) -> None:
        self.records[record.name] = record
        for path in (record.path, *record.links):
            self._by_path.setdefault(path, []).append(record.name)
            if self.detector is not None:
                self.detector.watch(path)

    def _forget(self, name: str) -> None:
        record = self.records.pop(name)
        self._unwatch_record(record)

    def _unwatch_record(self, record: WatchedModule) -> None:
        for path in (record.path, *record.links):
            names = self._by_path.get(path, [])
            if record.name in names:
                names.remove(record.name)
            if not names:
                self._by_path.pop(path, None)
                if self.detector is not None:
                    self.detector.unwatch(path)

    def _follow_links(self, record: WatchedModule) -> None:
        """Resolve ``record``'s file again: a retargeted link leads to another file."""
        if not record.file:
            return
        path, links = os.path.realpath(record.file), symlinks_on(record.file)
        if (path, links) != (record.path, record.links):
            self._unwatch_record(record)
            record.path, record.links = path, links
            self._watch_record(record)

    # -- reading the files ----------------------------------------------------

    def read_changes(self) -> bool:
        """Read changed files; True if any holds content not yet tried."""
        if self.detector is None or not self.detector.pending():
            return False
        news = False
        for path in self.detector.drain():
            if path in self._awaited and os.path.exists(path):
                for missing in self._awaited[path]:
                    news = True  # a failed save that imports it may work now
                    self._count_commit(missing)
            for name in list(self._by_path.get(path, ())):
                record = self.records[name]
                if record.runs_in(sys.modules.get(name)):
                    news |= self._read(record)
                else:
                    self._forget(name)  # removed from sys.modules since the last sync
        return news

    def _read(self, record: WatchedModule) -> bool:
        """Read ``record``'s file; True if it holds content not yet tried."""
        self._follow_links(record)
        source = read_source(record.path)
        if source is None or (not source and record.fingerprint != _EMPTY):
            # Gone, or caught half-way through an in-place save (truncated, not
            # yet written): not a new version of the module.
            if not record.deleted:
                record.deleted = True
                what = ("is empty (a save in progress?)" if source is not None
                        else _unreadable(record.path))
                log.warning("qtreload: %s %s; %s keeps running its last good code",
                            record.path, what, record.name)
            return False
        record.deleted = False
        digest = fingerprint(source)
        if digest == record.fingerprint:
            # Back to what runs. If that undoes a failed save, modules that waited
            # for it may go ahead now.
            news = record.failed is not None
            record.disk = record.failed = None
            return news
        record.disk = source
        if digest == record.failed:
            return False  # this very content failed already: reported once
        record.failed = None
        return True

    def force(self, name: str) -> None:
        """Make ``name`` stale (a forced reload), whether its file changed or not."""
        record = self.records.get(name)
        if record is None:
            raise ValueError(f"qtreload: {name!r} is not a watched module")
        self._read(record)
        record.failed = None  # asked for: try it again
        if record.disk is None and not record.deleted:
            record.disk = read_source(record.path)

    # -- what is stale --------------------------------------------------------

    def stale(self) -> dict[WatchedModule, bytes]:
        """The modules to reload: new content on disk, and not a known failure.

        A module whose current save failed waits for its next save, so it does
        not hold up the others; or for a change in a module its save imports
        (saved now, committed since, or newly there): that may be what it lacked.
        A module only saved with a failed one goes ahead at the next other save.
        """
        stale = {r: r.disk for r in self.records.values() if r.disk is not None}
        for record in [r for r in stale if not r.runs_in(sys.modules.get(r.name))]:
            del stale[record]
            self._forget(record.name)
        fresh = {r.name for r in stale if r.failed is None}
        for record in [r for r in stale if r.failed is not None]:
            if record.blocked_by:
                retry = bool(fresh)
            else:
                retry = bool(record.failed_imports & fresh) or any(
                    self._committed.get(name, -1) > record.failed_at
                    for name in record.failed_imports)
            if not retry:
                del stale[record]
        return stale

    def committed(self, names: Iterable[str]) -> None:
        """The modules ``names`` committed their saves."""
        for name in names:
            self._count_commit(name)
            if self.records[name].namespace.get(OPT_OUT_MARKER, True) is False:
                self._forget(name)  # the save opted it out: no longer watched
                self._ignored.add(name)
        if self._awaited:
            self._await_missing()

    def _count_commit(self, name: str) -> None:
        """``name`` changed (committed, or newly there): failed saves that import it retry."""
        self._commits += 1
        self._committed[name] = self._commits

    def failed(self, stale: dict[WatchedModule, bytes], culprits: dict[str, str]) -> None:
        """The saves ``stale`` failed together: ``culprits``' with their messages."""
        for record, source in stale.items():
            if record.name in culprits:
                record.fail(source, culprits[record.name], self._commits)
            else:
                record.fail(source, "", self._commits, frozenset(culprits))
        self._await_missing()

    def _await_missing(self) -> None:
        """Watch where the missing modules that failed saves import would appear."""
        awaited: dict[str, set[str]] = {}
        for record in self.records.values():
            if record.failed is not None:
                for name in record.failed_imports:
                    for path in places_for(name):
                        awaited.setdefault(path, set()).add(name)
        if self.detector is not None:
            for path in self._awaited.keys() - awaited.keys() - self._by_path.keys():
                self.detector.unwatch(path)
            for path in awaited.keys() - self._awaited.keys():
                self.detector.watch(path)
        self._awaited = awaited

    def waiting(self) -> dict[str, str]:
        """Watched modules whose save on disk is not running, and why (for reports and UIs)."""
        waiting = {}
        for record in self.records.values():
            if record.disk is None or record.failed is None:
                continue
            if record.blocked_by:
                waiting[record.name] = (
                    f"saved with {', '.join(sorted(record.blocked_by))}, whose save failed; "
                    "goes ahead at the next save")
            else:
                waiting[record.name] = (
                    f"its save failed ({record.error}); waiting for its next save or a "
                    "change in a module it imports")
        return waiting


def _unreadable(path: str) -> str:
    """Why the file at ``path`` gave no source: deleted, or not a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "was deleted"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, socket or device?): skipped"
    return "cannot be read"
