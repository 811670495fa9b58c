"""The Tile widget. Edit a method while the app runs: every open tile uses it on its next event.

A tile keeps its state (click count, typed text) across edits: reloading
changes the class's code in place, it does not rebuild the tiles.
"""
from qtpy.QtCore import Qt
from qtpy.QtGui import QColor, QPainter
from qtpy.QtWidgets import QWidget

from qtreload import autoreload_slot


class Tile(QWidget):
    """A coloured square that counts clicks and shows what was typed into it."""

    def __init__(self, name: str, color: str) -> None:
        super().__init__()
        self.name = name
        self.color = QColor(color)
        self.clicks = 0
        self.text = ""
        self.setFocusPolicy(Qt.ClickFocus)
        self.setMinimumSize(140, 120)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.color)
        painter.drawText(self.rect(), Qt.AlignCenter,
                         f"{self.name}\n{self.clicks} clicks\n{self.text}")

    # Qt calls these virtuals itself; @autoreload_slot makes each call check for edits first.
    @autoreload_slot
    def mousePressEvent(self, event) -> None:
        self.clicks += 1
        self.update()
        print(f"{self.name}: clicks={self.clicks}", flush=True)

    @autoreload_slot
    def keyPressEvent(self, event) -> None:
        self.text += event.text()
        self.update()
        print(f"{self.name}: text={self.text!r}", flush=True)
