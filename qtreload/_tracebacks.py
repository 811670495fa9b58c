"""Tracebacks that show the user's code, not qtreload's.

A failed reload, or an error in a script started by ``qtreload run``, is shown
with the frames of the user's files only: qtreload's own frames (and the
import machinery's, as Python itself hides them) are dropped, and so are the
``runpy``/``ast`` frames that lead to the user's first frame. Set
``QTRELOAD_DEBUG=1`` to see every frame.
"""
from __future__ import annotations

import ast
import os
import runpy
import traceback
import types

#: Set to 1 to keep qtreload's own frames in the tracebacks it shows.
DEBUG_ENV = "QTRELOAD_DEBUG"

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_IMPORT_MACHINERY = frozenset({"<frozen importlib._bootstrap>",
                               "<frozen importlib._bootstrap_external>"})
#: Frames that only lead to the user's code: hidden before the user's first frame.
_LEADING = frozenset({os.path.abspath(runpy.__file__), os.path.abspath(ast.__file__),
                      "<frozen runpy>"})


def debug() -> bool:
    """Is ``QTRELOAD_DEBUG`` set (to anything but empty or 0)?"""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _is_ours(filename: str) -> bool:
    return filename.startswith(_PACKAGE) or filename in _IMPORT_MACHINERY


def user_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without qtreload's frames (a new chain; ``tb`` is left as it is).

    Unchanged when ``QTRELOAD_DEBUG`` is set.
    """
    if debug():
        return tb
    kept: list[types.TracebackType] = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not _is_ours(filename) and (kept or filename not in _LEADING):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for frame in reversed(kept):
        chain = types.TracebackType(chain, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return chain


def user_exc_info(exc: BaseException) -> tuple[type[BaseException], BaseException,
                                               types.TracebackType | None]:
    """``exc_info`` for logging ``exc`` with the user's frames."""
    return type(exc), exc, user_traceback(exc.__traceback__)


def format_user_exception(exc: BaseException) -> str:
    """The text Python would print for ``exc``, with the user's frames."""
    return "".join(traceback.format_exception(*user_exc_info(exc)))
