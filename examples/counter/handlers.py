"""The counter's handlers. Edit this file while the app runs: the next click runs the new code.

``add`` is connected with plain PyQt, ``double`` with ``qtreload.connect`` and
``CounterSlots.reset`` is an ``@autoreload_slot`` method (see main.py).
"""
from qtreload import autoreload_slot


def add(window) -> None:
    """The "+1" button."""
    window.count += 1
    show(window, "add")


def double(window) -> None:
    """The "x2" button."""
    window.count *= 2
    show(window, "double")


class CounterSlots:
    """Slots mixed into the counter window; live windows get edits to them too."""

    @autoreload_slot
    def reset(self) -> None:
        """The "Reset" button."""
        self.count = 0
        show(self, "reset")


def show(window, action: str) -> None:
    """Display the count, and print one line per event (for people and tests)."""
    window.label.setText(f"Count: {window.count}")
    print(f"{action}: count={window.count}", flush=True)
