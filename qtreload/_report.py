"""What one stale check did: the reload report handed back to callers and logged."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ._tracebacks import format_user_exception


@dataclass(frozen=True)
class ReloadFailure:
    """A module whose new source could not be loaded; nothing was committed."""

    module: str
    path: str
    exception: BaseException
    lineno: int | None = None

    @property
    def message(self) -> str:
        """One line naming the file, the line and the error."""
        return self._located(self.path)

    @property
    def short_message(self) -> str:
        """:attr:`message` with the file's base name, for narrow places (a status bar)."""
        return self._located(os.path.basename(self.path))

    def _located(self, file: str) -> str:
        where = f"{file}:{self.lineno}" if self.lineno else file
        return f"{where}: {type(self.exception).__name__}: {self.exception}"

    @property
    def traceback_text(self) -> str:
        """The error as Python would print it, with the user's frames (see ``_tracebacks``)."""
        return format_user_exception(self.exception)


@dataclass(frozen=True)
class ReloadWarning:
    """A change applied only partly (e.g. to new objects), or not at all: restart needed."""

    module: str
    qualname: str
    reason: str
    restart_needed: bool = True

    @property
    def message(self) -> str:
        tail = " (restart needed)" if self.restart_needed else ""
        return f"{self.module}.{self.qualname}: {self.reason}{tail}"


@dataclass(frozen=True)
class ReloadReport:
    """Result of ``qtreload.check()`` or ``qtreload.reload()``.

    ``reloaded`` lists the committed modules in the order they finished
    running. A module in ``failures`` changed nothing; the other saves of the
    same check went ahead without it (``reloaded``), unless they need it.
    ``paths``: how each reloaded module ran, :data:`FAST_PATH` (only its edited
    definitions) or :data:`FULL_RUN`. ``waiting``: modules whose save on disk
    is not running, with the reason (e.g. its save failed, and it waits for
    its next save or a change in a module it imports).
    """

    reloaded: tuple[str, ...] = ()
    failures: tuple[ReloadFailure, ...] = ()
    warnings: tuple[ReloadWarning, ...] = ()
    paths: dict[str, str] = field(default_factory=dict, hash=False)
    waiting: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        """True when anything happened (a reload, a failure or a warning)."""
        return bool(self.reloaded or self.failures or self.warnings)


#: Values of :attr:`ReloadReport.paths`.
FAST_PATH = "fast path"
FULL_RUN = "full run"


def error_lineno(exc: BaseException, path: str) -> int | None:
    """The line of ``path`` the error points at: the deepest traceback frame in it."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    lineno = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


NOTHING = ReloadReport()
