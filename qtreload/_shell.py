"""``python -m qtreload shell``: the standard interactive prompt, checking before each command.

A :class:`code.InteractiveConsole` (what ``python -i`` offers, with the same
prompts and tracebacks) whose commands run after the stale check, when the
"before single command" switch is on, and whose namespace is kept up to date
after each reload like a watched module's. Qt windows stay live while it
waits for a line: PyQt5 installs Qt's input hook when ``QtCore`` is imported
(qtreload imports it), and ``input()`` runs that hook as ``python -i`` does
when stdin and stdout are a terminal (docs/ipython-facts.md, "Plain python -i").
The event hook is installed too, so clicks in a window check before them.
"""
from __future__ import annotations

import builtins
import code
import contextlib
import sys
import types

from . import _eventhook
from ._interactive import InteractiveSession
from ._triggers import BEFORE_COMMAND

BANNER = ("qtreload shell: Python {version}. Modules you edit are reloaded before each "
          "command\n(and before clicks in your windows). Ctrl-D quits.")


class ReloadingConsole(code.InteractiveConsole):
    """An interactive console that checks before each complete command it runs."""

    def __init__(self, namespace: dict | None = None) -> None:
        if namespace is None:
            namespace = {"__name__": "__main__", "__builtins__": builtins}
        super().__init__(namespace)
        self.session = InteractiveSession(namespace)
        self._source = ""

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        self._source = source
        return super().runsource(source, filename, symbol)

    def runcode(self, code_object: types.CodeType) -> None:
        self.session.check(BEFORE_COMMAND)
        try:
            super().runcode(code_object)
        finally:
            self.session.record(self._source)


def interact(verbose: bool = True) -> int:
    """Run the console on stdin until end of input; the exit status.

    ``verbose``: print each reload, not only failures and warnings.
    """
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 (line editing and history, as python -i has)
    console = ReloadingConsole()
    console.session.start()
    console.session.verbose = verbose
    hooked = not _eventhook.is_installed()
    if hooked:
        _eventhook.install()
    try:
        console.interact(banner=BANNER.format(version=sys.version.split()[0]), exitmsg="")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    finally:
        if hooked:
            _eventhook.uninstall()
        console.session.stop()
    return 0
