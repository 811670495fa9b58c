"""The todo model: a list of items that announces every change on a blinker signal."""
from dataclasses import dataclass

import blinker

#: ``changed.send(todos, action=..., item=...)`` after every change; action is
#: "added", "done" or "reopened". A named signal is one object per process, so
#: a reload of this module keeps its receivers.
changed = blinker.signal("todo.changed")


@dataclass
class Item:
    title: str
    done: bool = False


class TodoList:
    """The items, in the order they were added."""

    def __init__(self) -> None:
        self.items: list[Item] = []

    def add(self, title: str) -> Item:
        item = Item(title)
        self.items.append(item)
        changed.send(self, action="added", item=item)
        return item

    def toggle(self, index: int) -> None:
        item = self.items[index]
        item.done = not item.done
        changed.send(self, action="done" if item.done else "reopened", item=item)

    def open_count(self) -> int:
        return sum(not item.done for item in self.items)
