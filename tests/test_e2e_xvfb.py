"""End to end on a real X server: real clicks, an edit on disk, the next real click runs new code.

Starts its own ``Xvfb``, runs a copy of the counter example through
``python -m qtreload run`` and clicks its "+1" button with ``xdotool``. That
button is connected with plain PyQt, so only qtreload's event hook can make
the second click run the edited handler. Needs ``Xvfb`` and ``xdotool``
(``apt-get install xvfb xdotool``) and the X libraries of Qt's xcb plugin.
"""
from __future__ import annotations

import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from test_examples import copy_example

pytestmark = pytest.mark.xvfb

#: Inside the window: the "+1" button is the first one in the top row.
ADD_BUTTON = ("30", "20")


#: Debian packages of the libraries Qt's xcb platform plugin loads (for a hint on failure).
XCB_PACKAGES = ("libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 "
                "libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0")


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A fresh ``Xvfb`` on a free display number (Xvfb picks it: ``-displayfd``)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    assert shutil.which("xdotool"), "xdotool is not installed (apt-get install xdotool)"
    log = tmp_path / "xvfb.log"
    read_end, write_end = os.pipe()
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "800x600x24",
             "-nolisten", "tcp"],
            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=log_file)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        assert number, f"Xvfb did not start:\n{log.read_text()}"
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=10)


class Lines:
    """The lines a subprocess writes to a pipe, readable with a timeout."""

    def __init__(self, pipe: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))

    def next(self, timeout: float = 15) -> str:
        line = self._queue.get(timeout=timeout)
        self.seen.append(line)
        return line

    def all(self) -> str:
        while not self._queue.empty():
            self.seen.append(self._queue.get())
        return "\n".join(self.seen)


def xdotool(*args: str, display: str) -> str:
    result = subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=display),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"xdotool {' '.join(args)}: {result.stderr}"
    return result.stdout


def find_window(title: str, app: subprocess.Popen, err: Lines, display: str) -> str:
    """``xdotool search --sync`` for the app's window; fails at once if the app exits first."""
    search = subprocess.Popen(["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                              env=dict(os.environ, DISPLAY=display), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 30
        while search.poll() is None:
            if app.poll() is not None:
                pytest.fail(f"the app exited with {app.returncode} (Qt's xcb plugin needs: "
                            f"apt-get install {XCB_PACKAGES}):\n{err.all()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no window titled {title!r} after 30 s; app stderr:\n{err.all()}")
            time.sleep(0.05)
        return search.stdout.read().split()[0]
    finally:
        search.kill()
        search.wait(timeout=10)


@pytest.mark.parametrize(("options", "second"), [
    ([], "add: count=11"),  # the event hook reloaded before the click
    (["--no-events"], "add: count=2"),  # control: nothing checks before a plain handler
])
def test_real_click_runs_the_edited_plainly_connected_handler(
        display: str, tmp_path: Path, options: list[str], second: str) -> None:
    app_dir = copy_example("counter", tmp_path)
    env = dict(os.environ, DISPLAY=display)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("QTRELOAD", None)
    app = subprocess.Popen(
        [sys.executable, "-m", "qtreload", "run", *options, str(app_dir / "main.py")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = Lines(app.stdout), Lines(app.stderr)
    try:
        window = find_window("^qtreload counter$", app, err, display)

        def click() -> str:
            xdotool("mousemove", "--window", window, *ADD_BUTTON, "click", "1", display=display)
            try:
                return out.next()
            except queue.Empty:
                pytest.fail(f"no output after the click; app stderr:\n{err.all()}")

        assert click() == "add: count=1"
        handlers = app_dir / "handlers.py"
        handlers.write_text(handlers.read_text().replace("window.count += 1",
                                                         "window.count += 10"))
        assert click() == second
    finally:
        app.terminate()
        app.wait(timeout=10)
    assert ("qtreload: reloaded handlers" in err.all()) is (not options)
