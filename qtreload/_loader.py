"""The import hook: watched modules are compiled by qtreload, never loaded from ``.pyc``.

Installed by each enabled reloader; later imports of ``.py`` files go through
:class:`TrackingLoader`, which compiles a watched module from the bytes it read
(with its closures tracked), or takes what it compiled from exactly those bytes
at an earlier start (:mod:`._startcache`), and tells the reloaders.
"""
from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Protocol

from . import _startcache
from ._compiler import ModuleInfo, compile_module


class ImportWatcher(Protocol):
    """What the import hook asks of each reloader that installed it."""

    def is_watched(self, name: str, path: str) -> bool: ...

    def on_compiled(self, name: str, info: ModuleInfo, module: object) -> None: ...


# The reloaders that installed the import hook; it stays while any remains.
_watchers: list[ImportWatcher] = []


_plain_get_code = importlib.machinery.SourceFileLoader.get_code


def _tracked_code(loader: importlib.machinery.SourceFileLoader,
                  fullname: str) -> types.CodeType | None:
    """The code ``loader`` runs for ``fullname``: compiled by qtreload if it is watched."""
    path = loader.get_filename(fullname)
    watchers = [w for w in list(_watchers) if w.is_watched(fullname, path)]
    if not watchers:
        return _plain_get_code(loader, fullname)
    source = loader.get_data(path)
    stored = _startcache.load(source, path)
    if stored is None:
        code, info = compile_module(source, path)
        _startcache.store(source, code, info)
    else:
        code, info = stored
    # What runs it: the module importlib (or a plugin loader) put in sys.modules
    # before running it. If its code puts another object there in its place
    # (``sys.modules[__name__] = obj``), that module is still the one to reload.
    module = sys.modules.get(fullname)
    for watcher in watchers:
        watcher.on_compiled(fullname, info, module)
    return code


class TrackingLoader(importlib.machinery.SourceFileLoader):
    """Loads watched modules through :func:`compile_module`, never from ``.pyc``."""

    get_code = _tracked_code


def _code_by_hand(loader: importlib.machinery.SourceFileLoader,
                  fullname: str) -> types.CodeType | None:
    """``SourceFileLoader.get_code`` while the hook is installed.

    A module loaded by hand (``spec_from_file_location`` then
    ``loader.exec_module``, or ``SourceFileLoader(...)`` itself) meets no finder
    qtreload sees: this is where its code is made, so it is compiled by qtreload
    like an imported module, from its first run. Subclasses of the loader that
    override this (or ``source_to_code``: code transformers) keep their own.
    """
    if type(loader) is not importlib.machinery.SourceFileLoader:
        return _plain_get_code(loader, fullname)
    return _tracked_code(loader, fullname)


def tracked(spec: importlib.machinery.ModuleSpec | None
            ) -> importlib.machinery.ModuleSpec | None:
    """``spec``, with :class:`TrackingLoader` in place of a plain source loader.

    For specs another finder made (an editable install's finder, anything that
    uses ``spec_from_file_location``): their modules are then compiled by
    qtreload too, from the bytes it read, with live closures tracked.
    """
    if (spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader
            and isinstance(spec.origin, str) and spec.origin.endswith(".py")):
        spec.loader = TrackingLoader(spec.name, spec.origin)
    return spec


_hook = importlib.machinery.FileFinder.path_hook(
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (TrackingLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def install_import_hook(watcher: ImportWatcher) -> None:
    """Route later imports of ``.py`` files through :class:`TrackingLoader` for ``watcher``."""
    if watcher not in _watchers:
        _watchers.append(watcher)
    if _hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _hook)
        sys.path_importer_cache.clear()
    setattr(importlib.machinery.SourceFileLoader, "get_code", _code_by_hand)  # noqa: B010


def uninstall_import_hook(watcher: ImportWatcher) -> None:
    """``watcher`` no longer needs the hook; it goes when no other reloader does."""
    if watcher in _watchers:
        _watchers.remove(watcher)
    if not _watchers:
        setattr(importlib.machinery.SourceFileLoader, "get_code", _plain_get_code)  # noqa: B010
        if _hook in sys.path_hooks:
            sys.path_hooks.remove(_hook)
            sys.path_importer_cache.clear()
