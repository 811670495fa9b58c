"""``python -m qtreload``: run any Qt script with autoreload, or watch a self-driving demo.

``run`` executes a script as ``__main__`` (like ``python script.py``) after
turning on the trigger points: the checks in qtreload's own wrappers, and an
event hook that checks before user input, so handlers the app connected
with plain PyQt are refreshed too. ``demo`` edits a running copy of the
counter example offscreen and shows, from the real handler output, that the
next click ran the new code.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import logging
import os
import runpy
import shutil
import sys
import tempfile
import traceback
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__, _eventhook
from ._compat import QApplication, QCoreApplication, Qt, QTest
from ._default import reloader
from ._engine import disabled_by_environment
from ._report import ReloadReport
from ._scriptbinding import restart_with_the_scripts_binding
from ._tracebacks import format_user_exception, user_traceback
from ._triggers import TRIGGERS, switches

log = logging.getLogger("qtreload")

DESCRIPTION = ("Edit a running Qt (PyQt5, PyQt6, PySide6) or blinker app: the next event "
               "runs the new code.")

RUN_HELP = """\
Run a Qt script as __main__, with autoreload. Before each click, key press,
shortcut or wheel event (and each call of a handler wrapped by qtreload), the
modules whose files changed are reloaded and their live functions and classes
swapped in place: handlers connected with plain connect() run the new code too.
The script itself (__main__) is never reloaded: keep the code you edit in
modules it imports.

Unless the script (or a sitecustomize) installed its own sys.excepthook,
qtreload installs one that logs an uncaught exception and keeps the app
running, instead of PyQt's default of aborting it: fix the code and click
again. The app can still set its own hook; --no-excepthook keeps the default.

The binding is the one QT_API names (pyqt5, pyqt6, pyside6), else the one the
script imports (import PySide6, from PyQt6 import ...), else the first
installed (as qtpy picks it, for a script that imports only qtpy).
"""

#: The demo's edit of the counter example: the "+1" handler starts adding ten.
DEMO_EDIT = ("window.count += 1", "window.count += 10")


def build_parser() -> argparse.ArgumentParser:
    """The ``qtreload`` command line: ``run`` and ``demo``."""
    parser = argparse.ArgumentParser(prog="qtreload", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a Qt script with autoreload on",
                              description=RUN_HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("script", help="the script to run, as `python SCRIPT` would")
    rest = run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    rest.required = False  # argparse marks a REMAINDER as required; the script may take none
    run.add_argument("--no-events", dest="events", action="store_false",
                     help="no check before user input events (only qtreload's "
                          "wrapped handlers check)")
    run.add_argument("--timers", action="store_true",
                     help="also check before each QTimer timeout (adds about 0.7 µs per "
                          "timer event)")
    run.add_argument("--no-wrapped", dest="wrapped", action="store_false",
                     help="handlers wrapped by qtreload (autoreload_slot, qtreload.connect) "
                          "do not check by themselves; only the event hook reloads")
    add_trigger_flags(run)
    run.add_argument("--no-excepthook", dest="excepthook", action="store_false",
                     help="do not install qtreload's logging sys.excepthook")
    run.add_argument("--root", dest="roots", action="append", metavar="DIR",
                     help="watch only modules under DIR (repeatable; default: every "
                          "module outside the standard library and site-packages)")
    run.add_argument("--include", action="append", metavar="PAT",
                     help="watch only modules whose name matches PAT (fnmatch, repeatable)")
    run.add_argument("--exclude", action="append", metavar="PAT",
                     help="never watch modules whose name matches PAT (fnmatch, repeatable)")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="log only warnings and errors, not each reload")

    shell = commands.add_parser(
        "shell", help="an interactive Python prompt that reloads before each command",
        description="The standard interactive prompt (as `python -i`), with autoreload: "
                    "before each command the modules whose files changed are reloaded, "
                    "and names you imported (`from m import n`) are rebound. Qt windows "
                    "you open stay live while it waits, and clicks in them check too.")
    add_trigger_flags(shell)
    shell.add_argument("-q", "--quiet", action="store_true",
                       help="print only failures and warnings, not each reload")

    demo = commands.add_parser(
        "demo", help="headless self-driving demo: click, edit the handler, click again",
        description="Copy the counter example to a folder, run it offscreen, click its "
                    "'+1' button, rewrite the handler's source file, click again, and "
                    "print what each click did and what was reloaded. The folder is "
                    "removed afterwards unless --keep names it (then two screenshots "
                    "are saved there too).")
    demo.add_argument("--keep", metavar="DIR",
                      help="work in DIR (app copy and screenshots; created if missing) "
                           "instead of a new temporary folder")
    return parser


def add_trigger_flags(parser: argparse.ArgumentParser) -> None:
    """``--before-script/--no-before-script`` and the like: the three trigger switches."""
    group = parser.add_argument_group(
        "trigger points", "the three switches of the reload menu; each also reads an "
        "environment variable, and is on by default")
    for trigger in TRIGGERS:
        group.add_argument(f"--{trigger.word}", dest=trigger.key,
                           action=argparse.BooleanOptionalAction, default=None,
                           help=f"{trigger.label.lower()} (${trigger.env})")


def apply_trigger_flags(args: argparse.Namespace) -> None:
    """Set the trigger switches named on the command line; the others keep their state."""
    for trigger in TRIGGERS:
        on = getattr(args, trigger.key, None)
        if on is not None:
            switches.set(trigger, on)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``) and run the command; the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "run":
        restart_with_the_scripts_binding(args.script)
        _log_to_stderr(logging.WARNING if args.quiet else logging.INFO)
        apply_trigger_flags(args)
        configure_triggers(events=args.events, wrapped=args.wrapped, timers=args.timers)
        if args.roots or args.include or args.exclude:
            try:
                reloader.configure(roots=args.roots, include=args.include, exclude=args.exclude)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
        hook = keep_running_on_errors() if args.excepthook else contextlib.nullcontext()
        with hook:
            return run_script(args.script, args.args)
    if args.command == "shell":
        from ._shell import interact

        apply_trigger_flags(args)
        return interact(verbose=not args.quiet)
    _log_to_stderr(logging.WARNING)
    return demo(args.keep)


# -- run ----------------------------------------------------------------------

def configure_triggers(events: bool = True, wrapped: bool = True, timers: bool = False) -> None:
    """Choose the trigger points of the stale check, before the app starts."""
    if disabled_by_environment():
        log.warning("qtreload: QTRELOAD=0 is set: autoreload is off")
        return
    if not (events or wrapped):
        reloader.disable()
        return
    if not wrapped:
        reloader.check_before_calls = False
    if events:
        _eventhook.install(timers=timers)


@contextlib.contextmanager
def keep_running_on_errors() -> Iterator[None]:
    """While the app runs, log uncaught exceptions instead of letting PyQt abort.

    PyQt aborts the app when an exception escapes a slot or virtual and
    ``sys.excepthook`` is Python's default; any other hook keeps it alive.
    Nothing is installed if a hook was already set, and an app that sets its
    own replaces this one. Python's hook is back for an error that ends the script.
    """
    if sys.excepthook is not sys.__excepthook__:
        yield
        return
    sys.excepthook = _log_uncaught
    try:
        yield
    finally:
        if sys.excepthook is _log_uncaught:
            sys.excepthook = sys.__excepthook__


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  tb: types.TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        app = QCoreApplication.instance()
        if app is not None:
            app.exit(130)
            return
    text = "".join(traceback.format_exception(kind, value, user_traceback(tb)))
    print(f"{text}qtreload: the app keeps running; fix the code and try again.",
          file=sys.stderr, flush=True)


def run_script(script: str, args: Sequence[str] = ()) -> int:
    """Run ``script`` as ``__main__`` with ``sys.argv`` and ``sys.path`` set as Python would.

    As with ``python script.py``, the script's folder replaces the first entry
    of ``sys.path`` (the working directory under ``-m``, or the console
    script's folder).
    """
    path = os.path.abspath(script)
    if not os.path.exists(path):
        print(f"qtreload: no such file: {script}", file=sys.stderr)
        return 2
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(path)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        return _exit_status(exc.code)
    except Exception as exc:  # as Python would show it: the script's frames, not ours
        print(format_user_exception(exc), end="", file=sys.stderr, flush=True)
        return 1
    return 0


def _exit_status(code: Any) -> int:
    """What the interpreter would exit with for ``sys.exit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


class _CliHandler(logging.StreamHandler):
    """The handler ``run`` adds to the "qtreload" logger (added once)."""


def _log_to_stderr(level: int) -> None:
    """Show qtreload's own log lines (each reload, each failure) on stderr, once."""
    if not any(isinstance(h, _CliHandler) for h in log.handlers):
        handler = _CliHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


# -- demo ---------------------------------------------------------------------

def example_dir(name: str) -> Path | None:
    """An example app's folder: shipped in the package, or in the source checkout."""
    package = Path(__file__).resolve().parent
    for folder in (package / "examples" / name, package.parent / "examples" / name):
        if (folder / "main.py").is_file():
            return folder
    return None


def demo(keep: str | None = None) -> int:
    """Drive the counter example offscreen: click, edit the handler, click; 0 if it changed.

    It works on a copy of the example, in ``keep`` (kept, with two screenshots)
    or in a temporary folder removed afterwards.
    """
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if disabled_by_environment():
        print("qtreload demo: QTRELOAD=0 is set, so nothing would reload", file=sys.stderr)
        return 2
    source = example_dir("counter")
    if source is None:
        print("qtreload demo: the counter example is missing from the qtreload package",
              file=sys.stderr)
        return 2
    if keep:
        return _drive_demo(source, Path(keep), screenshots=True)
    with tempfile.TemporaryDirectory(prefix="qtreload-demo-") as work:
        return _drive_demo(source, Path(work), screenshots=False)


def _drive_demo(source: Path, work: Path, screenshots: bool) -> int:
    app_dir = work / "counter"
    if app_dir.exists():
        shutil.rmtree(app_dir)
    shutil.copytree(source, app_dir, ignore=shutil.ignore_patterns("__pycache__"))

    reports: list[ReloadReport] = []
    reloader.listeners.append(reports.append)
    _eventhook.install()  # as `qtreload run` does: "+1" is connected with plain PyQt
    app = QApplication.instance() or QApplication([sys.argv[0]])
    sys.path.insert(0, str(app_dir))
    importlib.invalidate_caches()
    window = importlib.import_module("main").build_window()
    window.show()
    # PyQt5's stubs declare QTest's static methods with a `self` parameter, so
    # mypy takes the widget for `self`: hence the two narrow ignores.
    QTest.qWaitForWindowExposed(window)  # type: ignore[call-overload]

    def click() -> str:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            QTest.mouseClick(window.add_button, Qt.MouseButton.LeftButton)  # type: ignore[call-overload]
            app.processEvents()
        return out.getvalue().strip()

    def screenshot(name: str) -> None:
        if screenshots:
            path = work / name
            window.grab().save(str(path))
            print(f"  screenshot        -> {path}")

    print(f"qtreload demo: the counter example runs offscreen from {app_dir}")
    print(f"  click '+1'        -> the handler printed: {click()}")
    print(f"                       the label shows: {window.label.text()}")
    screenshot("before.png")

    handlers = app_dir / "handlers.py"
    old, new = DEMO_EDIT
    source_text = handlers.read_text()
    if old not in source_text:
        print(f"qtreload demo: {handlers} no longer contains `{old}`", file=sys.stderr)
        return 1
    handlers.write_text(source_text.replace(old, new))
    print(f"  edit handlers.py  -> `{old}` is now `{new}` (file rewritten on disk)")

    second = click()
    reloaded = ", ".join(name for report in reports for name in report.reloaded) or "nothing"
    print(f"  click '+1'        -> qtreload reloaded: {reloaded}")
    print(f"                       the handler printed: {second}")
    print(f"                       the label shows: {window.label.text()}")
    screenshot("after.png")
    window.close()
    if second != "add: count=11":
        print("qtreload demo: FAILED, the second click did not run the edited handler",
              file=sys.stderr)
        return 1
    print("The window was never restarted: its count survived, and the next click ran "
          "the new code.")
    if not screenshots:
        print("Try it yourself: `qtreload demo --keep DIR` keeps the app; run it with "
              "`qtreload run DIR/counter/main.py` and edit DIR/counter/handlers.py.")
    return 0
