"""The start-up cache: what qtreload compiled for a watched module, kept next to ``.pyc`` files.

Compiling a watched module statement by statement costs about three times a
plain compile; a second start should cost what a plain import with ``.pyc``
files costs. So the module's code and its statements are stored in
``__pycache__`` (``sys.pycache_prefix`` respected) in a file of their own,
``<name>.<cache tag>.qtreload``, which Python's own loaders never read.

The file is validated by the hash of the source bytes, as PEP 552 hash-based
``.pyc`` files are, never by a modification time: an entry is used only for
the exact bytes it was compiled from, whatever the saves in between (two
same-size saves in one second included). A file that is corrupted, truncated,
from another source or another Python is ignored, and the module compiled
from source. ``PYTHONDONTWRITEBYTECODE`` (``sys.dont_write_bytecode``) stops
the writing, as for ``.pyc`` files; a folder that cannot be written is no error.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import marshal
import os
import sys
import types

from ._compiler import ModuleInfo, Statement, sharing, top_codes
from ._imports import found_imports

#: Changes with the layout of the stored data, and with Python's bytecode.
_MAGIC = b"QTRL\x05" + importlib.util.MAGIC_NUMBER
_HASH = 16  # bytes of each blake2b digest in the header
_SUFFIX = ".qtreload"


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_HASH).digest()


def cache_path(path: str) -> str | None:
    """Where the entry for the source file ``path`` lives (None: this Python keeps no cache)."""
    try:
        pyc = importlib.util.cache_from_source(path)
    except (NotImplementedError, ValueError):
        return None
    return pyc.removesuffix(".pyc") + _SUFFIX


def load(source: bytes, path: str) -> tuple[types.CodeType, ModuleInfo] | None:
    """The module's code and statements compiled from exactly ``source``, if stored."""
    where = cache_path(path)
    if where is None:
        return None
    try:
        with open(where, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = len(_MAGIC)
    if (len(data) < head + 2 * _HASH or data[:head] != _MAGIC
            or data[head:head + _HASH] != _digest(source)):
        return None  # another Python, another layout, or another source
    payload = data[head + 2 * _HASH:]
    if data[head + _HASH:head + 2 * _HASH] != _digest(payload):
        return None  # corrupted
    try:
        stored_path, code, flags, rows, found = marshal.loads(payload)
        if (stored_path != path or not isinstance(code, types.CodeType)
                or not isinstance(found, tuple)):
            return None
    except (ValueError, TypeError, EOFError):
        return None
    def statements() -> tuple[Statement, ...]:
        # Made only if the module is ever reloaded; the rows are whole (checked above).
        lines = source.splitlines(keepends=True)
        return sharing(tuple(
            Statement(kind, name, start, end, b"".join(lines[start - 1:end]), piece, binds,
                      loads, bases, quiet, is_import, global_names, imported, methods)
            for kind, name, start, end, piece, binds, loads, bases, quiet, is_import,
            global_names, imported, methods in marshal.loads(rows)), top_codes(code))

    info = ModuleInfo(source, path, statements, flags)
    info.found_imports = found
    return code, info


def store(source: bytes, code: types.CodeType, info: ModuleInfo) -> None:
    """Keep ``code`` and ``info`` for the next start (unless Python writes no bytecode)."""
    if sys.dont_write_bytecode:
        return
    where = cache_path(info.path)
    if where is None:
        return
    rows = marshal.dumps(tuple(
        (s.kind, s.name, s.start, s.end, s.code, s.binds, s.loads, s.bases, s.quiet,
         s.is_import, s.global_names, s.imported, s.methods) for s in info.statements))
    # The statements stay marshalled until the module is reloaded; they get
    # their code objects shared with the module's code again then.
    # And what its import statements are: the watch list reads them at the next start.
    if info.found_imports is None:
        info.found_imports = found_imports(source)
    payload = marshal.dumps((info.path, code, info.future_flags, rows, info.found_imports))
    data = _MAGIC + _digest(source) + _digest(payload) + payload
    temporary = f"{where}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(where), exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, where)  # readers see the old file or the new one, whole
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
