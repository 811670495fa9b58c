"""Which modules are watched, and what qtreload knows about each one."""
from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
import sys
import sysconfig
import types
import weakref
from dataclasses import dataclass, field
from typing import Any

from ._compiler import ModuleInfo
from ._imports import ModuleImports, scan_imports

#: A module that sets ``__qtreload__ = False`` at top level is never watched.
OPT_OUT_MARKER = "__qtreload__"

_STDLIB = tuple(
    os.path.realpath(p) + os.sep
    for key in ("stdlib", "platstdlib")
    if (p := sysconfig.get_paths().get(key))
)
_THIRD_PARTY = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


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
        path = os.path.realpath(path)
        if path.startswith(_STDLIB) or any(part in path for part in _THIRD_PARTY):
            return None
        if self.roots and not any(
            path.startswith(os.path.realpath(r) + os.sep) for r in self.roots
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
    #: Definitions a save removed; one that comes back revives the same object.
    removed: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_source(cls, name: str, module: types.ModuleType, path: str, source: bytes,
                    info: ModuleInfo | None = None) -> WatchedModule:
        is_package = hasattr(module, "__path__")
        imports = scan_imports(source, name, is_package)
        return cls(name, path, is_package, fingerprint(source), imports, info,
                   module=weakref.ref(module))

    def runs_in(self, module: types.ModuleType | None) -> bool:
        """Is ``module`` (what ``sys.modules`` holds now) the module this record is about?"""
        return module is not None and self.module is not None and self.module() is module

    def commit(self, source: bytes, info: ModuleInfo) -> None:
        """The live module now runs ``source`` (described by ``info``)."""
        self.fingerprint = fingerprint(source)
        self.imports = scan_imports(source, self.name, self.is_package)
        self.info = info
        self.disk = self.failed = None
        self.error, self.blocked_by = "", frozenset()

    def fail(self, source: bytes, error: str, commits: int,
             blocked_by: frozenset[str] = frozenset()) -> None:
        """The save ``source`` failed with ``error`` (or only with ``blocked_by``'s).

        ``commits``: the engine's count of committed modules now.
        """
        self.failed, self.error, self.failed_at = fingerprint(source), error, commits
        self.failed_imports = scan_imports(source, self.name, self.is_package).modules
        self.blocked_by = blocked_by
