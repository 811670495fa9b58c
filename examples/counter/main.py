"""A counter with three buttons, connected three ways; all three pick up edits to handlers.py.

Run it with ``python -m qtreload run examples/counter/main.py``: every button
then picks up edits. Started as ``python examples/counter/main.py``, the plainly
connected "+1" button picks them up only after "x2" or "Reset" ran a check.
"""
import sys
from functools import partial

import handlers
from qtpy.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

import qtreload

TITLE = "qtreload counter"


class CounterWindow(handlers.CounterSlots, QWidget):
    """The buttons sit in the top row (the first one at the top left), the count below."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.count = 0
        self.add_button = QPushButton("+1")
        self.double_button = QPushButton("x2")
        self.reset_button = QPushButton("Reset")
        self.label = QLabel("Count: 0")
        font = self.label.font()
        font.setPointSize(20)
        self.label.setFont(font)
        row = QHBoxLayout()
        for button in (self.add_button, self.double_button, self.reset_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.label)

        # Plain PyQt: the handler runs its current code, but nothing here checks for
        # edits; `python -m qtreload run` checks before every click (its event hook).
        self.add_button.clicked.connect(partial(handlers.add, self))
        # qtreload.connect: checks for edits before each call.
        qtreload.connect(self.double_button.clicked, partial(handlers.double, self))
        # An @autoreload_slot method (handlers.CounterSlots.reset) checks by itself.
        self.reset_button.clicked.connect(self.reset)


def build_window() -> CounterWindow:
    """The counter window, not shown yet (tests and the demo build it this way)."""
    return CounterWindow()


def main() -> int:
    app = QApplication(sys.argv)
    window = build_window()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
