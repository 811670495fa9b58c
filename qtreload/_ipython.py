"""The IPython extension: ``%load_ext qtreload``, the stale check before each cell.

An adapter on the engine, like the Qt and blinker ones; the only module that
imports IPython. Loading it:

- runs the stale check before each cell (IPython's ``pre_run_cell`` event),
  when the "before single command" switch is on, and before ``%run`` when the
  "before script execution" switch is on (so a script run again runs the new
  code of the modules it imports);
- updates the interactive namespace after every reload, like a watched
  module's (:class:`~qtreload._namespace.InteractiveBindings`);
- installs the event hook, so that with ``%gui qt5`` (terminal, qtconsole or
  a notebook's ``ipykernel``) the live window's events check too;
- adds the ``%qtreload`` line magic.

A failed reload prints one line, with file and line, before the cell's output
(``%qtreload traceback`` shows the whole traceback); the session keeps its
last good code and the cell runs. Nothing of qtreload's internals ever
reaches IPython as a traceback: the check is guarded.
"""
from __future__ import annotations

import logging
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class

from . import _eventhook
from ._default import reloader
from ._interactive import InteractiveSession
from ._triggers import BEFORE_COMMAND, BEFORE_SCRIPT, find, parse_switch, switches

log = logging.getLogger("qtreload")

USAGE = """\
%qtreload                      status: watched modules, switches, last reload, failures
%qtreload on | off             autoreload on or off
%qtreload now                  check now, and say what was reloaded
%qtreload verbose [on|off]     print each module reloaded before the cell's output
%qtreload traceback            the full traceback of the last failed reload
%qtreload before-script on|off     check before %run
%qtreload before-command on|off    check before each cell
%qtreload before-events on|off     check before events and wrapped handler calls
"""


class IPythonSession(InteractiveSession):
    """qtreload in one IPython shell: its events, ``%run`` and the ``%qtreload`` magic."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell.user_ns)
        self.shell = shell
        self._run_magic: Any = None
        self._hooked = False  # the event hook is ours to remove

    def load(self) -> None:
        self.start()
        shell = self.shell
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        magics = self._line_magics()
        self._run_magic = self._loaded_line_magic("run")
        if self._run_magic is not None:
            magics["run"] = self._run
        shell.register_magics(QtreloadMagics(shell, session=self))
        self._hooked = not _eventhook.is_installed()  # an app's own hook stays as it is
        if self._hooked:
            _eventhook.install()

    def unload(self) -> None:
        shell = self.shell
        for name, callback in (("pre_run_cell", self.pre_run_cell),
                               ("post_run_cell", self.post_run_cell)):
            if callback in shell.events.callbacks[name]:
                shell.events.unregister(name, callback)
        magics = self._line_magics()
        if self._run_magic is not None and magics.get("run") == self._run:
            magics["run"] = self._run_magic
        magics.pop("qtreload", None)
        if self._hooked:
            _eventhook.uninstall()
        self.stop()

    def _line_magics(self) -> dict[str, Any]:
        """IPython's table of line magics (``%run`` and ``%qtreload`` are in it)."""
        manager = self.shell.magics_manager
        if manager is None:
            raise RuntimeError("qtreload: this IPython shell has no magics manager")
        return manager.magics["line"]

    def _loaded_line_magic(self, name: str) -> Any:
        """The line magic ``name`` itself, imported if IPython only declared it.

        IPython 9 puts a lazy stand-in in the table that looks itself up there
        when called: wrapped as it is, ``%run`` would call our wrapper forever.
        """
        find = getattr(self.shell.magics_manager, "find", None)  # IPython 9
        return find("line", name) if find is not None else self._line_magics().get(name)

    def pre_run_cell(self, info: Any = None) -> None:
        """Before each cell: the check, if "before single command" is on."""
        self.check(BEFORE_COMMAND)

    def post_run_cell(self, result: ExecutionResult) -> None:
        """After each cell: note the names its imports bound."""
        raw = getattr(result.info, "raw_cell", None) or ""
        if "import" in raw:
            try:
                self.record(self.shell.transform_cell(raw))
            except Exception:
                log.debug("qtreload: could not transform the cell", exc_info=True)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        """``%run``, after the check if "before script execution" is on."""
        self.check(BEFORE_SCRIPT)
        return self._run_magic(*args, **kwargs)


@magics_class
class QtreloadMagics(Magics):
    """``%qtreload``: see :data:`USAGE`."""

    def __init__(self, shell: InteractiveShell, session: IPythonSession) -> None:
        super().__init__(shell)
        self.session = session

    @line_magic
    def qtreload(self, line: str = "") -> None:
        """Status and switches of qtreload's autoreload (``%qtreload help``)."""
        words = line.split()
        session = self.session
        if not words or words == ["status"]:
            print(session.status())
        elif words in (["on"], ["off"]):
            if words[0] == "on":
                reloader.enable()
            else:
                reloader.disable()
            print(f"qtreload: autoreload {words[0]}")
        elif words == ["now"]:
            from .widgets import describe

            report = session.check()
            if report is not None:
                print("qtreload: " + describe(report))
        elif words[0] == "verbose" and len(words) <= 2:
            session.verbose = parse_switch(words[1], "verbose") if len(words) == 2 else True
            print(f"qtreload: verbose {'on' if session.verbose else 'off'}")
        elif words == ["traceback"]:
            failure = session.last_failure
            print(failure.traceback_text if failure else "qtreload: no reload has failed")
        elif words[0] in ("help", "-h", "--help"):
            print(USAGE)
        elif len(words) == 2 and words[0].startswith("before"):
            try:
                trigger, on = find(words[0]), parse_switch(words[1], words[0])
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            switches.set(trigger, on)
            print(f"qtreload: {trigger.label.lower()}: {words[1].lower()}")
        else:
            raise UsageError(f"%qtreload {line.strip()}: not understood\n{USAGE}")


_sessions: dict[int, IPythonSession] = {}


def load(shell: InteractiveShell) -> None:
    """``%load_ext qtreload``: once per shell (loading again does nothing)."""
    if id(shell) in _sessions:
        return
    session = _sessions[id(shell)] = IPythonSession(shell)
    session.load()


def unload(shell: InteractiveShell) -> None:
    """``%unload_ext qtreload``: every hook, listener and magic removed."""
    session = _sessions.pop(id(shell), None)
    if session is not None:
        session.unload()
