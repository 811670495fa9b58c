"""An interactive session with qtreload: the checks, the namespace, what the user sees.

Shared by the IPython extension (:mod:`._ipython`) and the plain console of
``python -m qtreload shell`` (:mod:`._shell`); neither Qt nor IPython here.
A session:

- runs the stale check at its trigger points (before a command, before a
  script) as the switches of :mod:`._triggers` say, and never lets an error
  of qtreload reach the user's command;
- keeps the interactive namespace's imported names up to date after every
  reload, whatever triggered it (:class:`~._namespace.InteractiveBindings`);
- prints qtreload's messages as one line each, with no traceback (a failed
  reload names file and line; the traceback is kept for :attr:`last_failure`),
  and each reload too in verbose mode;
- describes itself for a ``status`` command.
"""
from __future__ import annotations

import logging
import sys
import time

from ._default import reloader
from ._namespace import InteractiveBindings
from ._report import ReloadFailure, ReloadReport
from ._triggers import TRIGGERS, Trigger, switches

log = logging.getLogger("qtreload")


class _OneLine(logging.Handler):
    """qtreload's log lines in the session: the message only, never a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(record.getMessage(), file=sys.stderr, flush=True)
        except Exception:
            self.handleError(record)


class InteractiveSession:
    """qtreload in one interactive namespace: call :meth:`start`, then :meth:`stop`."""

    def __init__(self, namespace: dict) -> None:
        self.bindings = InteractiveBindings(namespace)
        self.last: ReloadReport | None = None
        self.last_time: float | None = None
        self.last_failure: ReloadFailure | None = None
        self._handler = _OneLine(logging.WARNING)
        self._saved_logging = (log.level, log.propagate)

    def start(self) -> None:
        """Listen to reloads and show qtreload's messages as one line each."""
        reloader.listeners.extend([self.bindings, self._remember])
        self._saved_logging = (log.level, log.propagate)
        log.addHandler(self._handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    def stop(self) -> None:
        for listener in (self.bindings, self._remember):
            if listener in reloader.listeners:
                reloader.listeners.remove(listener)
        log.removeHandler(self._handler)
        log.setLevel(self._saved_logging[0])
        log.propagate = self._saved_logging[1]

    def check(self, trigger: Trigger | None = None) -> ReloadReport | None:
        """The stale check (if ``trigger``'s switch is on); never raises.

        None when qtreload itself failed (said on stderr, in one line).
        """
        try:
            if trigger is None:
                return reloader.check()
            return switches.check_if(trigger)
        except Exception as exc:
            print(f"qtreload: internal error during the stale check (ignored): {exc!r}",
                  file=sys.stderr, flush=True)
            return None

    def record(self, source: str) -> None:
        """A command ran: note the names its imports bound (never raises)."""
        try:
            self.bindings.record(source)
        except Exception:
            log.debug("qtreload: could not read the command's imports", exc_info=True)

    def _remember(self, report: ReloadReport) -> None:
        if report:
            self.last, self.last_time = report, time.time()
        if report.failures:
            self.last_failure = report.failures[0]

    @property
    def verbose(self) -> bool:
        """Print each module reloaded (not only failures and warnings)?"""
        return self._handler.level <= logging.INFO

    @verbose.setter
    def verbose(self, on: bool) -> None:
        self._handler.setLevel(logging.INFO if on else logging.WARNING)

    def modules(self) -> str:
        """The watched modules, one a line: name, file, and what waits on disk."""
        lines = []
        for name, record in sorted(reloader.watched().items()):
            state = (" (failed: waits for the next save)" if record.failed is not None
                     else " (changed on disk)" if record.disk is not None else "")
            lines.append(f"{name}  {record.path}{state}")
        return "\n".join(lines) or "qtreload: no module is watched"

    def status(self) -> str:
        """Watched modules, the switches, the last reload and the failures, as text."""
        records = reloader.watched()
        lines = [f"qtreload: autoreload {'on' if reloader.enabled else 'off'}, "
                 f"{len(records)} modules watched, verbose {'on' if self.verbose else 'off'}"]
        for trigger in TRIGGERS:
            state = "on" if switches.get(trigger) else "off"
            lines.append(f"  {trigger.word:<16} {state:<4} {trigger.label}")
        if self.last is not None and self.last_time is not None:
            when = time.strftime("%H:%M:%S", time.localtime(self.last_time))
            what = (", ".join(self.last.reloaded) if self.last.reloaded
                    else "failed" if self.last.failures else "warnings only")
            lines.append(f"  last reload at {when}: {what}")
        failed = sorted(name for name, record in records.items() if record.failed is not None)
        if failed:
            lines.append("  failed, waiting for the next save: " + ", ".join(failed))
            if self.last_failure is not None:
                lines.append("    " + self.last_failure.message)
        return "\n".join(lines)
