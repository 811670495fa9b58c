"""The README's "Use it" snippet and its logging advice do what the README says.

The snippet is taken from README.md as it is, split into its two files, and run
in a subprocess, on the selected binding (its PyQt5 imports go through qtpy);
only its last line, which starts the event loop, is replaced by a driver that
clicks, saves an edit of handlers.py as a user would, and clicks again.
"""
from __future__ import annotations

import re
from pathlib import Path

from test_cli import ok, python

README = Path(__file__).resolve().parent.parent / "README.md"

DRIVER = """\
import logging
logging.basicConfig()                                 # the README's logging advice:
logging.getLogger("qtreload").setLevel(logging.INFO)  # show qtreload's INFO lines
from pathlib import Path
from qtpy.QtCore import QTimer

def drive():
    window.button.click()
    print(window.label.text(), flush=True)
    path = Path("handlers.py")
    path.write_text(path.read_text().replace('"Hello"', '"Hello again"'))
    window.button.click()
    print(window.label.text(), flush=True)
    app.quit()

QTimer.singleShot(0, drive)
app.exec()
"""


def use_it_snippet() -> tuple[str, str]:
    """(handlers.py, main.py) as the README's "Use it" section shows them."""
    section = README.read_text().split("## Use it", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    handlers, main = code.split("# main.py\n")
    return handlers, main


def test_the_use_it_snippet_reloads_and_the_logging_advice_shows_it(tmp_path: Path) -> None:
    handlers, main = use_it_snippet()
    body, last = main.rstrip().rsplit("\n", 1)
    assert last.startswith("app.exec"), last  # the event loop: the driver runs it
    body = re.sub(r"^from PyQt\d\.", "from qtpy.", body, flags=re.M)
    (tmp_path / "handlers.py").write_text(handlers)
    (tmp_path / "main.py").write_text(body + "\n" + DRIVER)
    result = python(["main.py"], cwd=tmp_path)
    assert ok(result) == ["Hello", "Hello again"]
    assert "INFO:qtreload:qtreload: reloaded handlers" in result.stderr
