"""The Qt binding a script imports, for ``qtreload run``.

When neither ``QT_API`` nor an imported binding chose one, the door to the
binding (``_compat``) takes the first installed, before ``run`` has read the
script. So ``run`` reads the script's own imports: if it imports another
installed binding (``import PySide6``, ``from PyQt6 import QtCore``), the
command starts again with ``QT_API`` naming it. A script that imports only
``qtpy`` gets what qtpy would pick on its own, the first installed.
"""
from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from . import _compat


def imported_api(path: str | os.PathLike[str]) -> str | None:
    """The ``QT_API`` name of the first installed binding the script imports, in source
    order (a ``try``/``except ImportError`` fallback lists the preferred one first);
    None if it imports none of them, or cannot be read or parsed."""
    try:
        tree = ast.parse(Path(path).read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    apis = {package: api for api, package in _compat.BINDINGS.items()}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        roots = (name.partition(".")[0] for name in names)
        found += [(node.lineno, node.col_offset, apis[root]) for root in roots if root in apis]
    for _, _, api in sorted(found):
        if _compat.is_installed(_compat.BINDINGS[api]):
            return api
    return None


def restart_with_the_scripts_binding(script: str) -> None:
    """Start this command again with ``QT_API`` set to the script's binding, if the door
    took the first installed and the script imports another one (does not return then)."""
    if _compat.CHOSEN_BY != "installed":
        return  # QT_API or the app's own import chose: that stands
    api = imported_api(script)
    if api is None or api == _compat.API:
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execve(sys.executable, sys.orig_argv, dict(os.environ, QT_API=api))
