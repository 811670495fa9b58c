"""Three live Tile widgets; edit tiles.py and every tile changes on its next event.

Run it with ``python examples/canvas/main.py``.
"""
import sys

from qtpy.QtWidgets import QApplication, QHBoxLayout, QWidget
from tiles import Tile

import qtreload

TITLE = "qtreload canvas"


class Canvas(QWidget):
    """A row of tiles that repaints as soon as a reload changed the code."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.tiles = [Tile("A", "#f4a261"), Tile("B", "#2a9d8f"), Tile("C", "#e9c46a")]
        layout = QHBoxLayout(self)
        for tile in self.tiles:
            layout.addWidget(tile)
        # A reload may have changed paintEvent: repaint every tile, not just the clicked one.
        qtreload.reloader.listeners.append(self.repaint_tiles)

    def repaint_tiles(self, report: qtreload.ReloadReport) -> None:
        if report.reloaded:
            for tile in self.tiles:
                tile.update()


def build_window() -> Canvas:
    """The canvas window, not shown yet (tests build it this way)."""
    return Canvas()


def main() -> int:
    app = QApplication(sys.argv)
    window = build_window()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
