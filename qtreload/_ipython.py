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
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class

from . import _eventhook
from ._default import reloader
from ._interactive import InteractiveSession
from ._triggers import BEFORE_COMMAND, BEFORE_SCRIPT, TRIGGERS, find, parse_switch, switches

log = logging.getLogger("qtreload")

USAGE = """\
%qtreload                      status: watched modules, switches, last reload, failures
%qtreload modules              the watched modules, one a line, with their files
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
        words = line.split() or ["status"]
        command = self._commands().get(words[0])
        if command is None or not command[1] <= len(words) - 1 <= command[2]:
            raise UsageError(f"%qtreload {line.strip()}: not understood\n{USAGE}")
        try:
            command[0](*words)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def _commands(self) -> dict[str, tuple[Callable[..., None], int, int]]:
        """Each first word: (what it does, with the words; fewest and most arguments)."""
        table: dict[str, tuple[Callable[..., None], int, int]] = {
            "status": (self._status, 0, 0), "modules": (self._modules, 0, 0),
            "on": (self._master, 0, 0),
            "off": (self._master, 0, 0), "now": (self._now, 0, 0),
            "verbose": (self._verbose, 0, 1), "traceback": (self._traceback, 0, 0),
            "help": (self._help, 0, 0), "-h": (self._help, 0, 0), "--help": (self._help, 0, 0),
        }
        table.update({t.word: (self._trigger, 1, 1) for t in TRIGGERS})
        table.update({t.key: (self._trigger, 1, 1) for t in TRIGGERS})
        return table

    def _status(self, _: str) -> None:
        print(self.session.status())

    def _modules(self, _: str) -> None:
        print(self.session.modules())

    @staticmethod
    def _master(word: str) -> None:
        if word == "on":
            reloader.enable()
        else:
            reloader.disable()
        print(f"qtreload: autoreload {word}")

    def _now(self, _: str) -> None:
        from .widgets import describe

        report = self.session.check()
        if report is not None:
            print("qtreload: " + describe(report))

    def _verbose(self, word: str, value: str = "on") -> None:
        self.session.verbose = parse_switch(value, word)
        print(f"qtreload: verbose {'on' if self.session.verbose else 'off'}")

    def _traceback(self, _: str) -> None:
        failure = self.session.last_failure
        print(failure.traceback_text if failure else "qtreload: no reload has failed")

    @staticmethod
    def _help(_: str) -> None:
        print(USAGE)

    @staticmethod
    def _trigger(word: str, value: str) -> None:
        trigger, on = find(word), parse_switch(value, word)
        switches.set(trigger, on)
        print(f"qtreload: {trigger.label.lower()}: {value.lower()}")


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
