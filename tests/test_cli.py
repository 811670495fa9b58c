"""``python -m qtreload``: ``run`` refreshes plainly connected handlers; ``demo``; ``--help``.

Every app runs in a subprocess, offscreen, as a user would run it: qtreload
is found because it is installed (``pip install -e .``), not through PYTHONPATH.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from qtreload.__main__ import main

#: A Qt app that drives itself: "p" clicks the plainly connected button with a real
#: mouse event, "w" calls click() on the qtreload.connect button (no input event),
#: ":" rewrites handler.py (v1 -> v2). The sequence is the script's first argument.
APP = """
    import sys
    from pathlib import Path

    from qtpy.QtCore import Qt, QTimer
    from qtpy.QtTest import QTest
    from qtpy.QtWidgets import QApplication, QPushButton

    import handler
    import qtreload

    app = QApplication(sys.argv)
    plain, wrapped = QPushButton("plain"), QPushButton("wrapped")
    plain.clicked.connect(handler.plain)
    qtreload.connect(wrapped.clicked, handler.wrapped)

    def drive():
        for step in sys.argv[1]:
            if step == "p":
                QTest.mouseClick(plain, Qt.LeftButton)
            elif step == "w":
                wrapped.click()
            else:
                path = Path(handler.__file__)
                path.write_text(path.read_text().replace("v1", "v2"))
        app.quit()

    QTimer.singleShot(0, drive)
    sys.exit(app.exec())
"""

HANDLER = """
    def plain():
        print("plain v1", flush=True)

    def wrapped():
        print("wrapped v1", flush=True)
"""


def offscreen_env() -> dict[str, str]:
    """The environment for an app subprocess: offscreen Qt, qtreload not switched off."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("QTRELOAD", None)
    return env


def python(args: Sequence[str], cwd: Path, timeout: float = 60,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python ARGS`` in ``cwd``, offscreen, with a timeout; stdout and stderr captured.

    ``env``: variables to set on top of :func:`offscreen_env`.
    """
    return subprocess.run([sys.executable, *args], cwd=cwd, env={**offscreen_env(), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> list[str]:
    """The process exited 0: its stdout lines."""
    assert result.returncode == 0, (
        f"rc={result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result.stdout.splitlines()


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source))
    return path


@pytest.fixture
def app(tmp_path: Path) -> Path:
    write(tmp_path / "handler.py", HANDLER)
    return write(tmp_path / "app.py", APP)


@pytest.mark.parametrize(("options", "steps", "expected"), [
    # The event hook checks before the mouse press: the plain handler runs new code.
    ([], "pw:pw", ["plain v1", "wrapped v1", "plain v2", "wrapped v2"]),
    # Without it, only the wrapped handler's own check reloads.
    (["--no-events"], "pw:pw", ["plain v1", "wrapped v1", "plain v1", "wrapped v2"]),
    # Without wrapped checks, a click() (no input event) does not reload.
    (["--no-wrapped"], "pw:wp", ["plain v1", "wrapped v1", "wrapped v1", "plain v2"]),
    (["--no-events", "--no-wrapped"], "pw:pw", ["plain v1", "wrapped v1"] * 2),
    # The menu's "before events and function calls" switch covers both.
    (["--no-before-events"], "pw:pw", ["plain v1", "wrapped v1"] * 2),
    (["--exclude", "hand*"], "pw:pw", ["plain v1", "wrapped v1"] * 2),
    (["--root", "{tmp}"], "pw:pw", ["plain v1", "wrapped v1", "plain v2", "wrapped v2"]),
    (["--root", "{tmp}/elsewhere"], "pw:pw", ["plain v1", "wrapped v1"] * 2),
])
def test_run_trigger_points(app: Path, options: list[str], steps: str,
                            expected: list[str]) -> None:
    options = [o.replace("{tmp}", str(app.parent)) for o in options]
    (app.parent / "elsewhere").mkdir()
    result = python(["-m", "qtreload", "run", *options, str(app), steps], cwd=app.parent)
    assert ok(result) == expected


def test_run_with_a_root_that_does_not_exist_says_so(app: Path) -> None:
    result = python(["-m", "qtreload", "run", "--root", "nowhere", str(app), "p"],
                    cwd=app.parent)
    assert result.returncode == 2 and result.stdout == ""
    assert "root 'nowhere' is not an existing folder" in result.stderr


def test_run_logs_what_it_reloaded(app: Path) -> None:
    result = python(["-m", "qtreload", "run", str(app), "p:p"], cwd=app.parent)
    assert ok(result) == ["plain v1", "plain v2"]
    assert "qtreload: reloaded handler" in result.stderr
    write(app.parent / "handler.py", HANDLER)
    quiet = python(["-m", "qtreload", "run", "-q", str(app), "p:p"], cwd=app.parent)
    assert ok(quiet) == ["plain v1", "plain v2"]
    assert "reloaded" not in quiet.stderr


def test_run_passes_arguments_and_exit_status(tmp_path: Path) -> None:
    script = write(tmp_path / "args.py", """
        import sys
        print(__name__, sys.argv[1:], sys.path[0])
        sys.exit(3)
    """)
    result = python(["-m", "qtreload", "run", str(script), "a", "--no-events"],
                    cwd=tmp_path.parent)
    assert result.returncode == 3, result.stderr
    assert result.stdout.split() == ["__main__", "['a',", "'--no-events']", str(tmp_path)]


def test_run_keeps_the_app_alive_after_an_exception_in_a_slot(tmp_path: Path) -> None:
    script = write(tmp_path / "boom.py", """
        import sys
        from qtpy.QtWidgets import QApplication, QPushButton

        app = QApplication(sys.argv)
        button = QPushButton()
        button.clicked.connect(lambda: 1 / 0)
        button.click()
        print("still running", flush=True)
    """)
    result = python(["-m", "qtreload", "run", str(script)], cwd=tmp_path)
    assert ok(result) == ["still running"]
    assert "ZeroDivisionError" in result.stderr
    assert "the app keeps running" in result.stderr


def test_run_reports_an_error_that_ends_the_script_as_python_does(tmp_path: Path) -> None:
    script = write(tmp_path / "fails.py", "raise LookupError('at top level')\n")
    result = python(["-m", "qtreload", "run", str(script)], cwd=tmp_path)
    assert result.returncode == 1
    assert "LookupError: at top level" in result.stderr
    assert "keeps running" not in result.stderr


def frames(stderr: str) -> list[str]:
    """The file names of the traceback frames in ``stderr``, in order."""
    return [Path(line.split('"')[1]).name for line in stderr.splitlines()
            if line.startswith('  File "')]


def test_run_shows_the_scripts_frames_not_qtreloads(tmp_path: Path) -> None:
    write(tmp_path / "helper.py", "def boom():\n    return {}['key']\n")
    script = write(tmp_path / "fails.py", "import helper\nhelper.boom()\n")
    plain = python([str(script)], cwd=tmp_path)
    result = python(["-m", "qtreload", "run", str(script)], cwd=tmp_path)
    assert result.returncode == plain.returncode == 1
    assert frames(result.stderr) == frames(plain.stderr) == ["fails.py", "helper.py"]
    assert result.stderr.endswith("KeyError: 'key'\n")
    debug = python(["-m", "qtreload", "run", str(script)], cwd=tmp_path,
                   env={"QTRELOAD_DEBUG": "1"})
    assert {"_cli.py", "fails.py", "helper.py"} <= set(frames(debug.stderr))


def test_run_shows_the_handlers_frames_for_an_error_in_a_wrapped_slot(tmp_path: Path) -> None:
    write(tmp_path / "handler.py", "def on_click():\n    return 1 / 0\n")
    script = write(tmp_path / "slot.py", """
        import sys
        from qtpy.QtWidgets import QApplication, QPushButton
        import handler
        import qtreload

        app = QApplication(sys.argv)
        button = QPushButton()
        qtreload.connect(button.clicked, handler.on_click)
        button.click()
        print("still running", flush=True)
    """)
    result = python(["-m", "qtreload", "run", str(script)], cwd=tmp_path)
    assert ok(result) == ["still running"]
    assert frames(result.stderr) == ["handler.py"]
    assert "ZeroDivisionError: division by zero" in result.stderr


def test_run_without_a_script_asks_for_the_script_only(tmp_path: Path) -> None:
    result = python(["-m", "qtreload", "run"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "qtreload run: error: the following arguments are required: script")


def test_version(tmp_path: Path) -> None:
    import qtreload

    assert ok(python(["-m", "qtreload", "--version"], cwd=tmp_path)) == [
        f"qtreload {qtreload.__version__}"]


def test_run_installs_its_excepthook_only_where_none_was_set(tmp_path: Path) -> None:
    script = write(tmp_path / "hook.py", """
        import sys
        print(sys.excepthook.__name__)
    """)
    assert ok(python(["-m", "qtreload", "run", str(script)], cwd=tmp_path)) == ["_log_uncaught"]
    off = python(["-m", "qtreload", "run", "--no-excepthook", str(script)], cwd=tmp_path)
    assert ok(off) == ["excepthook"]
    preset = f"""if True:
        import sys
        def mine(*exc_info): pass
        sys.excepthook = mine
        from qtreload.__main__ import main
        sys.exit(main(["run", {str(script)!r}]))
    """
    assert ok(python(["-c", preset], cwd=tmp_path)) == ["mine"]


def test_run_reports_a_missing_script(tmp_path: Path) -> None:
    result = python(["-m", "qtreload", "run", "nope.py"], cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_demo_shows_the_edited_handler_running(tmp_path: Path) -> None:
    result = python(["-m", "qtreload", "demo", "--keep", str(tmp_path / "out")], cwd=tmp_path,
                    timeout=120)
    out = "\n".join(ok(result))
    assert "the handler printed: add: count=1\n" in out
    assert "qtreload reloaded: handlers" in out
    assert "the handler printed: add: count=11\n" in out
    before, after = tmp_path / "out" / "before.png", tmp_path / "out" / "after.png"
    assert str(before) in out and str(after) in out
    assert before.stat().st_size > 0 and after.read_bytes() != before.read_bytes()


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert "run" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for option in ("--no-events", "--no-wrapped", "--timers", "--root", "--include",
                   "--exclude", "excepthook"):
        assert option in text


def test_help_from_the_command_line(tmp_path: Path) -> None:
    lines = ok(python(["-m", "qtreload", "--help"], cwd=tmp_path))
    assert any("demo" in line for line in lines)


# -- which binding `run` uses --------------------------------------------------

ALL_THREE_INSTALLED = all(importlib.util.find_spec(package) is not None
                          for package in ("PyQt5", "PyQt6", "PySide6"))
# Written with {PyQt5}-style fields: this file itself stays free of any one binding.
PACKAGES = {"PyQt5": "PyQt5", "PyQt6": "PyQt6", "PySide6": "PySide6"}
BINDING_IMPORTS = {
    "pyside6": "from {PySide6}.QtWidgets import QApplication, QPushButton\n",
    "pyqt6": "import {PyQt6}.QtCore\nfrom {PyQt6}.QtWidgets import QApplication, QPushButton\n",
    "pyqt5": ("from {PyQt5} import QtWidgets\n"
              "from {PyQt5}.QtWidgets import QApplication, QPushButton\n"),
    "qtpy": "from qtpy.QtWidgets import QApplication, QPushButton\n",
}
CLICKS_WITH_QTRELOAD = """
import sys

import qtreload
from qtreload import _compat

app = QApplication(sys.argv)
button = QPushButton("go")
qtreload.connect(button.clicked, lambda: print("clicked on", _compat.API, sys.argv[1:]))
button.click()
"""


def run_without_qt_api(script: Path, env: dict[str, str] | None = None) -> list[str]:
    environ = {k: v for k, v in offscreen_env().items() if k not in ("QT_API", "FORCE_QT_API")}
    return ok(subprocess.run([sys.executable, "-m", "qtreload", "run", str(script), "x"],
                             cwd=script.parent, env={**environ, **(env or {})},
                             capture_output=True, text=True, timeout=60))


@pytest.mark.skipif(not ALL_THREE_INSTALLED, reason="needs PyQt5, PyQt6 and PySide6 installed")
@pytest.mark.parametrize(("imports", "expected"), [
    ("pyside6", "pyside6"), ("pyqt6", "pyqt6"), ("pyqt5", "pyqt5"),
    ("qtpy", "pyqt5"),  # qtpy's own rule: the first installed
])
def test_run_uses_the_binding_the_script_imports(tmp_path: Path, imports: str,
                                                 expected: str) -> None:
    """Without QT_API, with all three installed: the script's own import decides, and the
    app's signals connect through qtreload (a binding mismatch would raise TypeError)."""
    script = write(tmp_path / "app.py",
                   BINDING_IMPORTS[imports].format(**PACKAGES) + CLICKS_WITH_QTRELOAD)
    assert run_without_qt_api(script) == [f"clicked on {expected} ['x']"]


@pytest.mark.skipif(not ALL_THREE_INSTALLED, reason="needs PyQt5, PyQt6 and PySide6 installed")
def test_run_keeps_the_binding_qt_api_names(tmp_path: Path) -> None:
    script = write(tmp_path / "app.py", "import {PySide6}\nfrom qtreload import _compat\n"
                                        "print(_compat.API)\n".format(**PACKAGES))
    assert run_without_qt_api(script, {"QT_API": "pyqt6"}) == ["pyqt6"]


def test_the_scripts_binding_is_read_from_its_imports(tmp_path: Path, monkeypatch) -> None:
    from qtreload import _compat, _scriptbinding

    installed = {"PyQt5", "PyQt6", "PySide6"}
    monkeypatch.setattr(_compat, "is_installed", installed.__contains__)

    def api_of(source: str) -> str | None:
        return _scriptbinding.imported_api(write(tmp_path / "s.py", source.format(**PACKAGES)))

    fallback = ("try:\n    from {PySide6} import QtCore\nexcept ImportError:\n"
                "    from {PyQt5} import QtCore\n")
    assert api_of("import os\nimport {PySide6}.QtCore as core\n") == "pyside6"
    assert api_of("def main():\n    from {PyQt6} import QtWidgets\n") == "pyqt6"
    assert api_of(fallback) == "pyside6"  # the preferred one comes first
    installed.discard("PySide6")
    assert api_of(fallback) == "pyqt5"  # the fallback it will use
    assert api_of("from qtpy import QtCore\nimport PySide2\n") is None  # qtpy's rule; unsupported
    assert api_of("from . import {PyQt6}\n") is None  # relative: the script's own module
    assert api_of("import {PyQt6} (\n") is None  # does not parse: Python will say so
    assert _scriptbinding.imported_api(tmp_path / "missing.py") is None
