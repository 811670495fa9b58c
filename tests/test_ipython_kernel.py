"""The extension in a real Jupyter kernel (``ipykernel``), driven through ``jupyter_client``.

The kernel is its own process, as under a notebook or qtconsole; each cell is
sent as a notebook sends it, and what the cell printed comes back on the
kernel's output channel.
"""
from __future__ import annotations

import os
import queue
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")


class Kernel:
    """A started kernel and a client: :meth:`run` a cell, get its stdout and stderr."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("QTRELOAD", None)
        self.manager, self.client = jupyter_client.manager.start_new_kernel(
            kernel_name="python3", cwd=str(folder), env=env)

    def run(self, code: str, timeout: float = 30) -> tuple[str, str]:
        msg_id = self.client.execute(code)
        out, err = [], []
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"the kernel did not finish {code!r}")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
            elif kind == "error":
                err.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(out), "".join(err)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path):
    started = Kernel(tmp_path)
    yield started
    started.close()


def test_a_kernel_session_reloads_before_each_cell(kernel: Kernel, tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('N = 1\nclass Rect:\n    def size(self):\n        return "v1"\n')
    assert kernel.run("%load_ext qtreload") == ("", "")
    kernel.run("from m import N as n, Rect; r = Rect()")
    assert kernel.run("print(n, r.size())") == ("1 v1\n", "")
    module.write_text('N = 2\nclass Rect:\n    def size(self):\n        return "v2"\n')
    assert kernel.run("print(n, r.size())") == ("2 v2\n", "")
    module.write_text("N = (\n")
    out, err = kernel.run("print(n)")
    assert out == "2\n"
    assert err.count("\n") == 1 and "m.py:1: SyntaxError" in err and "Traceback" not in err


def test_gui_qt_in_a_kernel_checks_before_the_events_of_a_live_window(kernel: Kernel,
                                                                      tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text('def on_click():\n    print("click", "v1")\n')
    kernel.run("%load_ext qtreload")
    kernel.run("%gui qt")
    out, err = kernel.run(
        "from qtpy.QtCore import Qt, QTimer\nfrom qtpy.QtTest import QTest\n"
        "from qtpy.QtWidgets import QApplication, QPushButton\nimport handler\n"
        "app = QApplication.instance() or QApplication([])\n"
        "b = QPushButton('go'); b.clicked.connect(handler.on_click); b.show()\n"
        "QTest.mouseClick(b, Qt.LeftButton)")
    assert out == "click v1\n", err
    kernel.run("%qtreload before-command off")
    handler.write_text('def on_click():\n    print("click", "v2")\n')
    out, err = kernel.run("QTest.mouseClick(b, Qt.LeftButton)")  # no check before the cell
    assert out == "click v2\n", err  # the event hook checked before the press
