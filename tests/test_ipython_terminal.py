"""A real ``ipython`` process in a terminal (pexpect), with ``%gui qt`` and a live window.

The window lives on its own ``Xvfb`` and is clicked with ``xdotool`` while
IPython waits at its prompt (Qt runs in IPython's input hook): an edit to
the handler is picked up by the next real click, with no command typed (the
event hook), and by the next command (the check before each cell). A broken
save prints one line and the session goes on. Needs ``Xvfb`` and ``xdotool``
(the session without a window does not).
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pexpect
import pytest
from test_e2e_xvfb import display, xdotool  # noqa: F401 (a fixture)

PROMPT = r"In \[\d+\]:"
HANDLER = 'def on_click():\n    print("click", "v1")\n'


class Session:
    """``ipython`` in a pseudo-terminal: type a command, wait for what it prints."""

    def __init__(self, folder: Path, x_display: str) -> None:
        env = dict(os.environ, DISPLAY=x_display, TERM="xterm")
        env.pop("QT_QPA_PLATFORM", None)
        env.pop("QTRELOAD", None)
        self.transcript = folder / "transcript.txt"
        self._log = open(self.transcript, "w")  # noqa: SIM115 (closed in close())
        self.child = pexpect.spawn(
            sys.executable, ["-m", "IPython", "--no-banner", "--colors=NoColor",
                             "--no-confirm-exit", "--HistoryManager.enabled=False"],
            cwd=str(folder), env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))
        self.child.logfile_read = self._log
        self.child.expect(PROMPT)

    def type(self, command: str, *expected: str) -> str:
        """Type ``command`` and Enter; wait for each of ``expected`` then the next prompt."""
        self.child.sendline(command)
        seen = "".join(self.expect(text) for text in expected)
        return seen + self.expect(PROMPT)

    def expect(self, text: str) -> str:
        """Wait for ``text`` (a regular expression); what came up to its end."""
        try:
            self.child.expect(text)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self._log.flush()
            pytest.fail(f"{text!r} never came; transcript:\n{self.transcript.read_text()}")
        return self.child.before + self.child.after

    def close(self) -> int:
        if self.child.isalive():
            self.child.sendline("exit")
            self.child.expect(pexpect.EOF)
        self.child.close()
        self._log.close()
        return self.child.exitstatus


def window_id(title: str, x_display: str) -> str:
    """The X window id of the visible window titled ``title`` (waits for it)."""
    result = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                            env=dict(os.environ, DISPLAY=x_display), capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.split(), result.stderr
    return result.stdout.split()[0]


@pytest.mark.xvfb
def test_gui_qt5_window_handler_edited_between_commands_and_clicks(display: str,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text(HANDLER)
    title = f"qtreload-ipython-{uuid.uuid4().hex[:8]}"
    session = Session(tmp_path, display)
    try:
        session.type("%load_ext qtreload")
        session.type("%gui qt")
        session.type("import handler; from qtpy.QtWidgets import QPushButton")
        session.type(f"b = QPushButton('go'); b.setWindowTitle('{title}'); "
                     "b.clicked.connect(handler.on_click); b.resize(120, 60); b.show()")
        window = window_id(f"^{title}$", display)

        def click() -> None:  # a real click while IPython waits at its prompt
            xdotool("mousemove", "--window", window, "60", "30", "click", "1", display=display)

        click()
        session.expect("click v1")
        handler.write_text(HANDLER.replace("v1", "v2"))
        click()  # no command typed: the event hook checks before the press
        session.expect("click v2")
        handler.write_text(HANDLER.replace("v1", "v3"))
        session.type("handler.on_click()", "click v3")  # the check before the cell

        handler.write_text(HANDLER.replace('"v1")', '"v4"'))  # a broken save
        out = session.type("print('still', 'here')", "still here")
        failures = [line for line in out.splitlines() if "failed" in line]
        assert len(failures) == 1 and "handler.py:2: SyntaxError" in failures[0], out
        assert "Traceback" not in out
        click()
        session.expect("click v3")  # the last good code
        handler.write_text(HANDLER.replace("v1", "v5"))
        click()
        session.expect("click v5")  # the next good save
        session.type("%qtreload", "modules watched")
    finally:
        status = session.close()
    assert status == 0


def test_the_extension_from_the_config_loads_in_a_plain_terminal_session(tmp_path: Path) -> None:
    # No X here: ``c.InteractiveShellApp.extensions = ["qtreload"]`` given on the
    # command line, as a profile's ipython_config.py would give it.
    module = tmp_path / "m.py"
    module.write_text("N = 1\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TERM": "dumb"}
    env.pop("QTRELOAD", None)
    child = pexpect.spawn(
        sys.executable, ["-m", "IPython", "--no-banner", "--colors=NoColor", "--simple-prompt",
                         "--HistoryManager.enabled=False", "--no-confirm-exit",
                         "--InteractiveShellApp.extensions=['qtreload']"],
        cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30)
    child.expect(PROMPT)
    child.sendline("from m import N as n")
    child.expect(PROMPT)
    module.write_text("N = 2\n")
    child.sendline("print('n is', n)")
    child.expect(r"n is (\d)")
    assert child.match.group(1) == "2"
    child.expect(PROMPT)
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
