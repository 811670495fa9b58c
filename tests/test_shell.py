"""``python -m qtreload shell`` in a terminal (pexpect): the check before each command.

The Qt part runs on its own ``Xvfb`` and is clicked with ``xdotool`` while
the prompt waits for a line, to show that Qt's input hook keeps the window
live and the event hook checks before the click.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pexpect
import pytest
from test_e2e_xvfb import display, xdotool  # noqa: F401 (a fixture)
from test_ipython_terminal import window_id

PROMPT = ">>> "


class Shell:
    """``python -m qtreload shell`` in a pseudo-terminal."""

    def __init__(self, folder: Path, *options: str, env: dict[str, str] | None = None) -> None:
        environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TERM": "dumb", **(env or {})}
        environ.pop("QTRELOAD", None)
        self.child = pexpect.spawn(sys.executable, ["-m", "qtreload", "shell", *options],
                                   cwd=str(folder), env=environ, encoding="utf-8", timeout=30)
        self.text: list[str] = []
        self.expect(PROMPT)

    def expect(self, pattern: str) -> str:
        try:
            self.child.expect_exact(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pytest.fail(f"{pattern!r} never came; so far:\n{''.join(self.text)}"
                        f"{self.child.before}")
        seen = self.child.before + self.child.after
        self.text.append(seen)
        return seen

    def type(self, line: str) -> str:
        """Type a line; what it printed before the next prompt (the echo left out)."""
        self.child.sendline(line)
        out = self.expect(PROMPT)
        return out.replace("\r\n", "\n").split("\n", 1)[1].rsplit(PROMPT, 1)[0]

    def close(self) -> int:
        self.child.sendeof()
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


def test_each_command_runs_after_the_check_and_imported_names_follow(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text('N = 1\ndef f():\n    return "f v1"\n')
    shell = Shell(tmp_path)
    assert shell.type("from m import N as n, f") == ""
    assert shell.type("print(n, f())") == "1 f v1\n"
    module.write_text('N = 2\ndef f():\n    return "f v2"\n')
    assert shell.type("print(n, f())") == "qtreload: reloaded m\n2 f v2\n"
    module.write_text('N = (\n')
    out = shell.type("print(n)")
    assert out.splitlines()[1:] == ["2"] and "m.py:1: SyntaxError" in out.splitlines()[0]
    assert shell.type("for i in range(2):\n    print(i)\n").endswith("0\n1\n")
    module.write_text('N = 3\ndef f():\n    return "f v3"\n')
    assert shell.type("print(n, f())") == "qtreload: reloaded m\n3 f v3\n"
    assert shell.close() == 0


def test_the_before_command_switch_from_the_command_line(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("N = 1\n")
    shell = Shell(tmp_path, "--no-before-command")
    shell.type("import m")
    module.write_text("N = 2\n")
    assert shell.type("print(m.N)") == "1\n"
    assert shell.type("import qtreload; qtreload.configure(before_command=True)") == ""
    assert shell.type("print(m.N)") == "qtreload: reloaded m\n2\n"
    assert shell.close() == 0


@pytest.mark.xvfb
def test_a_window_stays_live_at_the_prompt_and_a_click_runs_the_edited_handler(
        display: str, tmp_path: Path) -> None:  # noqa: F811
    handler = tmp_path / "handler.py"
    handler.write_text('def on_click():\n    print("click", "v1")\n')
    title = f"qtreload-shell-{uuid.uuid4().hex[:8]}"
    shell = Shell(tmp_path, env={"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
    shell.type("import handler; from qtpy.QtWidgets import QApplication, QPushButton")
    shell.type(f"app = QApplication([]); b = QPushButton('go'); b.setWindowTitle('{title}'); "
               "b.clicked.connect(handler.on_click); b.resize(120, 60); b.show()")
    window = window_id(f"^{title}$", display)

    def click() -> None:
        xdotool("mousemove", "--window", window, "60", "30", "click", "1", display=display)

    click()  # at the prompt: Qt runs in the input hook
    shell.expect("click v1")
    handler.write_text('def on_click():\n    print("click", "v2")\n')
    click()  # no command typed: the event hook checks before the press
    shell.expect("click v2")
    assert shell.close() == 0
