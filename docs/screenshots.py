"""Take the README's screenshots of qtreload's developer UI on a real X server (Xvfb).

    python docs/screenshots.py            # needs Xvfb (Debian: apt-get install xvfb)

It runs a copy of ``examples/devtools`` as a user would: presses "Shout", saves
an edit of ``actions.py`` together with a broken ``style.py``, presses "Shout"
again, opens "Reload modules > Reload modules…" and selects the failed module.
Then it saves ``docs/images/{window,menu,reload-dialog}.png``. Without a
DISPLAY it starts itself again under ``xvfb-run``.
"""
from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "devtools"
IMAGES = HERE / "images"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def take(app_dir: Path) -> None:
    from qtpy.QtCore import QPoint, Qt
    from qtpy.QtTest import QTest
    from qtpy.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    sys.path.insert(0, str(app_dir))
    window = importlib.import_module("main").build_window()
    window.move(0, 0)
    window.show()
    QTest.qWaitForWindowExposed(window)

    def settle(ms: int = 300) -> None:
        QTest.qWait(ms)
        app.processEvents()

    QTest.mouseClick(window.button, Qt.MouseButton.LeftButton)
    edit(app_dir / "actions.py", 'print(f"shout: ', 'print(f"SHOUT: ')
    edit(app_dir / "style.py", 'text.upper() + "!"', 'text.upper( + "!"')
    QTest.mouseClick(window.button, Qt.MouseButton.LeftButton)
    settle()
    window.grab().save(str(IMAGES / "window.png"))

    bar = window.menuBar()
    entry = next(a for a in bar.actions() if a.text() == "Reload modules")
    menu = entry.menu()
    menu.popup(window.mapToGlobal(bar.actionGeometry(entry).bottomLeft()))
    settle()
    menu.grab().save(str(IMAGES / "menu.png"))
    next(a for a in menu.actions() if a.text().startswith("Reload modules")).trigger()
    menu.close()
    dialog = next(w for w in app.topLevelWidgets() if w.windowTitle() == "Reload modules")
    dialog.move(QPoint(40, 40))
    settle()
    dialog.tree.setCurrentItem(dialog.tree.findItems("style", Qt.MatchFlag.MatchExactly, 0)[0])
    settle()
    dialog.grab().save(str(IMAGES / "reload-dialog.png"))
    dialog.close()
    window.close()


def main() -> int:
    if not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            print("screenshots: no DISPLAY and no xvfb-run (apt-get install xvfb)",
                  file=sys.stderr)
            return 2
        os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24",
                               sys.executable, __file__, *sys.argv[1:]])
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qtreload-shots-") as work:
        app_dir = Path(shutil.copytree(EXAMPLE, Path(work) / "devtools",
                                       ignore=shutil.ignore_patterns("__pycache__")))
        take(app_dir)
    for name in ("window", "menu", "reload-dialog"):
        print(IMAGES / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
