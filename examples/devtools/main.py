"""A small window with qtreload's developer UI: the "Reload modules" menu, its
dialog, status-bar notices, and a reload listener.

Run it with ``python -m qtreload run examples/devtools/main.py`` (or plainly with
``python examples/devtools/main.py``: its button is connected with qtreload.connect).
"""
import sys
from functools import partial

import actions
from qtpy.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import qtreload
from qtreload.widgets import enable_notifications

TITLE = "qtreload developer tools"


class Window(QMainWindow):
    """Type a line, press "Shout": actions.py and style.py decide what it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.edit = QLineEdit("hello")
        self.button = QPushButton("Shout")
        self.label = QLabel("")
        self.reloads = QLabel("reloads: 0")
        body = QWidget()
        layout = QVBoxLayout(body)
        for widget in (self.edit, self.button, self.label, self.reloads):
            layout.addWidget(widget)
        self.setCentralWidget(body)
        self.statusBar()  # created now, so notices fit it from the first one
        self.resize(520, 260)

        # The developer UI: a "Reload modules" submenu (the switches, and the dialog
        # listing every watched module) and a notice in the status bar after each reload.
        qtreload.install_menu(self.menuBar())
        enable_notifications(self)
        # A reload listener: called with each ReloadReport, in the thread that ran the check.
        qtreload.reloader.listeners.append(self.count_reloads)

        qtreload.connect(self.button.clicked, partial(actions.shout, self))
        qtreload.connect(self.edit.returnPressed, partial(actions.shout, self))

    def count_reloads(self, report: qtreload.ReloadReport) -> None:
        if report.reloaded:
            count = int(self.reloads.text().split()[-1]) + 1
            self.reloads.setText(f"reloads: {count}")


def build_window() -> Window:
    """The window, not shown yet (tests and the screenshot script build it this way)."""
    return Window()


def main() -> int:
    app = QApplication(sys.argv)
    window = build_window()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
