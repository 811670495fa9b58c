"""Receivers of ``model.changed``. Edit one while the app runs: the next change uses it."""


def log_change(todos, action: str, item) -> None:
    """Print one line per change (for people and tests)."""
    print(f"{action}: {item.title} ({todos.open_count()} open)", flush=True)


class TodoReceivers:
    """Receivers that update the window (mixed into TodoWindow)."""

    def refresh_list(self, todos, **change) -> None:
        self.list.clear()
        self.list.addItems([("[x] " if item.done else "[ ] ") + item.title
                            for item in todos.items])

    def update_status(self, todos, **change) -> None:
        done = len(todos.items) - todos.open_count()
        self.status.setText(f"{todos.open_count()} open, {done} done")
