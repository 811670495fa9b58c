"""Each example starts, and an edit made while it runs shows on the next event.

A copy of the example runs offscreen in a subprocess (the repository is never
edited): its window is built with ``main.build_window()`` and driven with QTest;
the handlers' own stdout lines are compared.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_cli import offscreen_env, ok, python

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

DRIVER = """
import sys
from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication

app = QApplication(sys.argv)
import main

window = main.build_window()
window.show()
QTest.qWaitForWindowExposed(window)


def click(widget, pos=None):
    if pos is None:
        QTest.mouseClick(widget, Qt.LeftButton)
    else:
        QTest.mouseClick(widget, Qt.LeftButton, Qt.NoModifier, pos)


def edit(name, old, new):
    path = Path(name)
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))

"""

STEPS = {
    "counter": ("""
        for button in (window.add_button, window.double_button, window.reset_button,
                       window.add_button):
            click(button)
        edit("handlers.py", "window.count += 1", "window.count += 10")
        edit("handlers.py", "self.count = 0", "self.count = 100")
        click(window.double_button)  # qtreload.connect: checks, reloads, then doubles
        click(window.add_button)  # plain connect: already runs the new code
        click(window.reset_button)
        print("label:", window.label.text())
    """, ["add: count=1", "double: count=2", "reset: count=0", "add: count=1",
          "double: count=2", "add: count=12", "reset: count=100", "label: Count: 100"]),
    "canvas": ("""
        a, b, c = window.tiles
        click(a)
        QTest.keyClicks(a, "hi")
        before = b.grab().toImage().pixelColor(2, 2).name()
        edit("tiles.py", "painter.fillRect(self.rect(), self.color)",
             "painter.fillRect(self.rect(), QColor('black'))")
        edit("tiles.py", '"{self.name}: clicks={self.clicks}"',
             '"{self.name} clicked {self.clicks}x"')
        click(c)
        click(a)
        print("B pixel:", before, b.grab().toImage().pixelColor(2, 2).name())
        print("A state:", a.clicks, a.text)
    """, ["A: clicks=1", "A: text='h'", "A: text='hi'", "C clicked 1x", "A clicked 2x",
          "B pixel: #2a9d8f #000000", "A state: 2 hi"]),
    "devtools": ("""
        click(window.button)
        edit("style.py", 'text.upper() + "!"', 'text.title() + "?"')
        click(window.button)
        print("after a reload:", window.reloads.text(), "|", window.statusBar().currentMessage())
        edit("actions.py", 'print(f"shout: ', 'print(f"SHOUT: ')
        edit("style.py", 'text.title() + "?"', 'text.title( + "?"')
        click(window.button)  # both saved, one broken: the last good code runs
        print("status:", window.statusBar().toolTip().splitlines()[0])  # the whole report
        menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "Reload modules")
        next(a for a in menu.actions() if a.text().startswith("Reload modules")).trigger()
        dialog = next(w for w in app.topLevelWidgets() if w.windowTitle() == "Reload modules")
        dialog.refresh()
        print("dialog:", dialog.state("style")[0], "|", dialog.state("actions"))
        edit("style.py", 'text.title( + "?"', 'text.title() + "?!"')
        click(window.button)
        print("after the fix:", window.reloads.text(), "|", window.statusBar().currentMessage())
    """, ["shout: HELLO!", "shout: Hello?",
          "after a reload: reloads: 1 | Reloaded: style", "shout: Hello?",
          "status: Reload failed:", "dialog: failed | ('waiting', 'waiting for style')",
          "SHOUT: Hello?!", "after the fix: reloads: 2 | Reloaded: style, actions"]),
    "todo": ("""
        QTest.keyClicks(window.edit, "milk")
        click(window.add_button)
        edit("receivers.py", 'print(f"{action}: ', 'print(f"{action.upper()}: ')
        edit("receivers.py", '"[x] "', '"DONE "')
        QTest.keyClicks(window.edit, "eggs")
        QTest.keyClick(window.edit, Qt.Key_Return)
        first = window.list.visualItemRect(window.list.item(0)).center()
        click(window.list.viewport(), first)
        QTest.mouseDClick(window.list.viewport(), Qt.LeftButton, Qt.NoModifier, first)
        items = [window.list.item(i).text() for i in range(window.list.count())]
        print("list:", items, window.status.text())
    """, ["added: milk (1 open)", "ADDED: eggs (2 open)", "DONE: milk (1 open)",
          "list: ['DONE milk', '[ ] eggs'] 1 open, 1 done"]),
}


def copy_example(name: str, tmp_path: Path) -> Path:
    """A private copy of ``examples/<name>``, safe to edit."""
    return Path(shutil.copytree(EXAMPLES / name, tmp_path / name,
                                ignore=shutil.ignore_patterns("__pycache__")))


@pytest.mark.parametrize("name", sorted(STEPS))
def test_example_picks_up_an_edit(name: str, tmp_path: Path) -> None:
    app_dir = copy_example(name, tmp_path)
    steps, expected = STEPS[name]
    driver = DRIVER + textwrap.dedent(steps)
    assert ok(python(["-c", driver], cwd=app_dir)) == expected


@pytest.mark.parametrize("name", sorted(STEPS))
def test_example_runs_as_a_script(name: str, tmp_path: Path) -> None:
    """``python examples/<name>/main.py`` starts and keeps running (qtreload is installed)."""
    script = copy_example(name, tmp_path) / "main.py"
    with subprocess.Popen([sys.executable, str(script)], cwd=tmp_path,
                          env=offscreen_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            return
        pytest.fail(f"main.py exited with {proc.returncode}:\n{proc.stderr.read()}")


def test_every_example_is_tested() -> None:
    apps = {p.parent.name for p in EXAMPLES.glob("*/main.py")}
    assert apps == set(STEPS)
    assert all((EXAMPLES / app / "README.md").is_file() for app in apps)
