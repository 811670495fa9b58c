"""A todo list: the model sends blinker signals, receivers.py handles them.

Run it with ``python examples/todo/main.py``. Type a title and press Enter
(or "Add"); double-click an item to mark it done.
"""
import sys

import model
import receivers
from qtpy.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import qtreload

TITLE = "qtreload todo"


class TodoWindow(receivers.TodoReceivers, QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.todos = model.TodoList()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("What needs doing?")
        self.add_button = QPushButton("Add")
        self.list = QListWidget()
        self.status = QLabel("0 open, 0 done")
        layout = QVBoxLayout(self)
        for widget in (self.edit, self.add_button, self.list, self.status):
            layout.addWidget(widget)

        self.add_button.clicked.connect(self.add)
        self.edit.returnPressed.connect(self.add)
        self.list.itemDoubleClicked.connect(self.toggle)
        # Each receiver checks for edits before it handles a change.
        for receiver in (receivers.log_change, self.refresh_list, self.update_status):
            qtreload.connect(model.changed, receiver, sender=self.todos)

    def add(self) -> None:
        title = self.edit.text().strip()
        if title:
            self.todos.add(title)
            self.edit.clear()

    def toggle(self, list_item: QListWidgetItem) -> None:
        self.todos.toggle(self.list.row(list_item))


def build_window() -> TodoWindow:
    """The todo window, not shown yet (tests build it this way)."""
    return TodoWindow()


def main() -> int:
    app = QApplication(sys.argv)
    window = build_window()
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
