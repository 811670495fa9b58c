"""Changes live objects cannot take: warned about (restart needed), applied to new code only."""
from __future__ import annotations

import logging

import pytest

import qtreload

CHANGES = {
    "slots": ("__slots__ layout changed", """
        class Thing:
            __slots__ = ("a",)

            def __init__(self):
                self.a = 1

            def get(self):
                return ("get v1", self.a)
    """, [('__slots__ = ("a",)', '__slots__ = ("a", "b")'),
          ("self.a = 1", "self.a = 1\n        self.b = 2"),
          ('("get v1", self.a)', '("get v2", self.a, self.b)')]),
    "metaclass": ("metaclass changed", """
        class Meta(type):
            pass

        class Thing:
            def __init__(self):
                self.a = 1

            def get(self):
                return ("get v1", self.a)
    """, [("class Thing:", "class Thing(metaclass=Meta):"),
          ("self.a = 1", "self.a = 1\n        self.b = 2"),
          ('("get v1", self.a)', '("get v2", self.a, self.b)')]),
    "bases": ("base classes changed", """
        class Left:
            side = "left"

        class Right:
            side = "right"

        class Thing(Left):
            def __init__(self):
                self.a = 1

            def get(self):
                return ("get v1", self.a, self.side)
    """, [("class Thing(Left):", "class Thing(Right):"),
          ("self.a = 1", "self.a = 1\n        self.b = 2"),
          ('("get v1", self.a, self.side)', '("get v2", self.a, self.b, self.side)')]),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_restart_needed_change_warns_and_new_code_uses_the_new_class(project, caplog, change):
    reason, source, edits = CHANGES[change]
    project.write("things", source + """
        def make():
            return Thing()
    """)
    project.write("user", "from {p}things import Thing\n\ndef build():\n    return Thing()\n")
    things, user = project.load("things"), project.load("user")
    Old = things.Thing
    old = Old()
    before = old.get()
    for old_text, new_text in edits:
        project.edit("things", old_text, new_text)
    with caplog.at_level(logging.WARNING, logger="qtreload"):
        report = qtreload.check()
    assert report.ok and report.reloaded == (things.__name__,)
    (warning,) = [w for w in report.warnings if w.qualname == "Thing"]
    assert warning.restart_needed and warning.reason == reason
    assert warning.module == things.__name__
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(reason in m and "restart needed" in m and "Thing" in m for m in logged)
    # New code gets the new class, by the module's name, from a function, and via import.
    New = things.Thing
    assert New is not Old
    for fresh in (things.Thing(), things.make(), user.build()):
        assert type(fresh) is New and fresh.get()[0] == "get v2" and fresh.b == 2
    # The new class fits with the module's live classes (bases and metaclass).
    for cls in (*New.__mro__[1:], type(New)):
        if cls.__module__ == things.__name__:
            assert getattr(things, cls.__name__) is cls, cls
    if change == "bases":
        assert issubclass(New, things.Right) and New.side == "right"
    if change == "metaclass":
        assert isinstance(New, things.Meta)
    # Old instances keep their class and their code.
    assert type(old) is Old and old.get() == before


def test_a_subclass_of_a_restart_needed_class_is_left_alone_too(project, caplog):
    project.write("family", """
        class Parent:
            __slots__ = ()

        class Child(Parent):
            def who(self):
                return "child v1"
    """)
    family = project.load("family")
    OldChild = family.Child
    child = OldChild()
    project.edit("family", "__slots__ = ()", "__slots__ = ('x',)")
    project.edit("family", "child v1", "child v2")
    report = qtreload.check()
    assert report.ok
    assert {w.qualname for w in report.warnings if w.restart_needed} >= {"Parent", "Child"}
    assert family.Child is not OldChild and family.Child().who() == "child v2"
    assert issubclass(family.Child, family.Parent)
    assert child.who() == "child v1" and type(child) is OldChild
