"""A reload is one transaction: any error leaves every module exactly as it was."""
from __future__ import annotations

import logging
import os
import threading
import traceback

import pytest
from engine_helpers import live_state

import qtreload
from qtreload import reloader

VICTIM = """
    class Meta(type):
        def __setattr__(cls, name, value):
            if name.startswith("boom"):
                raise AttributeError(f"{name} may not be patched")
            super().__setattr__(name, value)

    from {p}state import RUNS
    RUNS.append("victim")
    LIMIT = 1

    def func(x=1, *, y=2):
        "doc v1"
        return "func v1"

    class K(metaclass=Meta):
        ATTR = "attr v1"

        def m(self):
            return "m v1"
"""

#: Broken versions: (edit: old text -> new text, the line the error points at).
BREAKAGES = {
    "syntax": ('        return "m v1"', '        return "m v2"\n\ndef broken(:\n    pass',
               "def broken(:"),
    "runtime": ('        return "m v1"',
                '        return "m v2"\n\ndef added():\n    pass\n\nNEW = 5\n'
                'raise RuntimeError("boom at import")\nAFTER = 6',
                'raise RuntimeError("boom at import")'),
    "system_exit": ('        return "m v1"',
                    '        return "m v2"\n\nimport sys\nsys.exit(3)', "sys.exit(3)"),
    "patching": ('ATTR = "attr v1"', 'ATTR = "attr v2"\n    boom = 1',
                 'raise AttributeError(f"{name} may not be patched")'),
}


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture
def victim(project):
    project.write("state", "RUNS = []\n")
    project.write("victim", VICTIM)
    module = project.load("victim")
    return project, module


def errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "qtreload" and r.levelno >= logging.ERROR]


def break_victim(project, kind: str) -> int:
    """Apply a good edit plus the breakage; returns the line the error points at."""
    old, new, marker = BREAKAGES[kind]
    project.edit("victim", '"func v1"', '"func v2"')
    project.edit("victim", '"doc v1"', '"doc v2"')
    project.edit("victim", "def func(x=1, *, y=2):", "def func(x=10, *, y=20):")
    project.edit("victim", old, new)
    return line_of(project.path("victim"), marker)


@pytest.mark.parametrize("kind", list(BREAKAGES))
def test_failed_reload_changes_nothing_and_is_logged_once(victim, caplog, kind):
    project, module = victim
    instance = module.K()
    before = live_state(module)
    class_before = live_state(module)["cls:K"]
    lineno = break_victim(project, kind)
    path = str(project.path("victim"))
    with caplog.at_level(logging.DEBUG, logger="qtreload"):
        report = qtreload.check()
        assert not report.ok and report.reloaded == ()
        (failure,) = report.failures
        assert (failure.module, failure.path, failure.lineno) == (module.__name__, path, lineno)
        assert f"{path}:{lineno}" in failure.message

        assert live_state(module) == before
        assert live_state(module)["cls:K"] == class_before
        assert module.func() == "func v1" and module.func.__defaults__ == (1,)
        assert module.func.__kwdefaults__ == {"y": 2} and module.func.__doc__ == "doc v1"
        assert instance.m() == "m v1" and module.K.ATTR == "attr v1"
        assert not hasattr(module.K, "boom")

        (record,) = errors(caplog)
        assert path in record.getMessage() and str(lineno) in record.getMessage()
        assert record.exc_info is not None
        text = "".join(traceback.format_exception(*record.exc_info))
        assert f'File "{path}", line {lineno}' in text

        assert not qtreload.check()  # no new save: no retry, no second log
        os.utime(project.path("victim"))  # a touch is not a new save either
        assert not qtreload.check()
        assert len(errors(caplog)) == 1

    fix_old, fix_new, _ = BREAKAGES[kind]
    text = project.path("victim").read_text().replace(fix_new, fix_old)
    project.path("victim").write_text(text.replace('"m v1"', '"m v3"'))
    report = qtreload.check()
    assert report.ok and report.reloaded == (module.__name__,)
    assert module.func() == "func v2" and module.func.__defaults__ == (10,)
    assert instance.m() == "m v3"


def test_failed_reload_keeps_module_running_its_old_code(victim):
    project, module = victim
    runs = project.load("state").RUNS
    runs_before = list(runs)
    break_victim(project, "syntax")
    assert not qtreload.check().ok
    assert runs == runs_before  # a syntax error never runs anything
    assert module.func() == "func v1"


TWO_A = """
    class Meta(type):
        def __setattr__(cls, name, value):
            if name.startswith("boom"):
                raise AttributeError(f"{name} may not be patched")
            super().__setattr__(name, value)

    def fa():
        return "a v1"

    class A(metaclass=Meta):
        def m(self):
            return "A.m v1"
"""

TWO_B = """
    from {p}two_a import fa

    def fb():
        return "b v1 " + fa()
"""

#: Where the error is: (module, old text, new text, the line the error points at).
TWO_FAILURES = {
    "first_runs": ("two_a", "def fa():", "1 / 0\ndef fa():", "1 / 0"),
    "second_runs": ("two_b", "def fb():", "1 / 0\ndef fb():", "1 / 0"),
    "first_patches": ("two_a", "class A(metaclass=Meta):", "class A(metaclass=Meta):\n    boom = 1",
                      'raise AttributeError(f"{name} may not be patched")'),
}


@pytest.mark.parametrize("failing", list(TWO_FAILURES))
def test_two_edited_modules_where_one_fails_commit_neither(project, caplog, failing):
    project.write("two_a", TWO_A)
    project.write("two_b", TWO_B)
    a, b = project.load("two_a"), project.load("two_b")
    instance = a.A()
    before_a, before_b = live_state(a), live_state(b)
    project.edit("two_a", '"a v1"', '"a v2"')
    project.edit("two_a", '"A.m v1"', '"A.m v2"')
    project.edit("two_b", '"b v1 "', '"b v2 "')
    culprit, old, new, marker = TWO_FAILURES[failing]
    project.edit(culprit, old, new)
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        report = qtreload.check()
        assert not qtreload.check()
    (failure,) = report.failures
    assert failure.module == project.name(culprit)
    assert failure.lineno == line_of(project.path(culprit), marker)
    assert live_state(a) == before_a and live_state(b) == before_b
    assert b.fb() == "b v1 a v1" and instance.m() == "A.m v1"
    assert len(errors(caplog)) == 1

    project.edit(culprit, new, old)
    report = qtreload.check()
    assert report.reloaded == (project.name("two_a"), project.name("two_b"))
    assert b.fb() == "b v2 a v2" and instance.m() == "A.m v2"


def test_keyboard_interrupt_while_running_the_module_still_changes_nothing(victim):
    project, module = victim
    before = live_state(module)
    project.edit("victim", '"func v1"', '"func v2"')
    project.path("victim").write_text(
        project.path("victim").read_text() + "\nraise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        qtreload.check()
    assert live_state(module) == before and module.func() == "func v1"


def test_a_broken_save_does_not_hold_up_another_modules_good_save(project, caplog):
    project.write("two_a", TWO_A)
    project.write("two_b", TWO_B)
    a, b = project.load("two_a"), project.load("two_b")
    project.edit("two_a", "def fa():", "1 / 0\ndef fa():")
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        assert not qtreload.check().ok
        project.edit("two_b", '"b v1 "', '"b v2 "')
        report = qtreload.check()  # two_a's broken save is not retried, nor logged again
    assert report.ok and report.reloaded == (b.__name__,)
    assert b.fb() == "b v2 a v1" and len(errors(caplog)) == 1
    project.edit("two_a", "1 / 0\ndef fa():", "def fa():")
    project.edit("two_a", '"a v1"', '"a v2"')
    assert qtreload.check().reloaded == (a.__name__,)
    assert b.fb() == "b v2 a v2"


def test_a_module_saved_with_a_broken_one_goes_ahead_at_the_next_save(project):
    """The next good save is picked up, and with it the good one held back by a broken one."""
    project.write("two_a", TWO_A)
    project.write("two_b", TWO_B)
    project.write("third", "def f():\n    return 'third v1'\n")
    a, b, third = project.load("two_a"), project.load("two_b"), project.load("third")
    project.edit("two_a", '"a v1"', '"a v2"')
    project.edit("two_b", "def fb():", "1 / 0\ndef fb():")
    report = qtreload.check()
    assert not report.ok and set(report.waiting) == {a.__name__, b.__name__}
    assert "whose save failed" in report.waiting[a.__name__]
    project.edit("third", "third v1", "third v2")
    report = qtreload.check()
    assert set(report.reloaded) == {a.__name__, third.__name__}
    assert a.fa() == "a v2" and list(report.waiting) == [b.__name__]
    project.edit("two_b", "1 / 0\ndef fb():", "def fb():")  # back to what runs
    assert not qtreload.check().waiting
    assert b.fb() == "b v1 a v2"


def test_call_racing_a_check_that_drained_the_detector_waits_for_it(project, monkeypatch):
    project.write("raced", "def version():\n    return 'v1'\n")
    raced = project.load("raced")
    version = raced.version
    qtreload.check()
    drained, proceed = threading.Event(), threading.Event()
    drain = reloader._detector.drain

    def slow_drain():
        paths = drain()
        drained.set()
        assert proceed.wait(10)
        return paths

    monkeypatch.setattr(reloader._detector, "drain", slow_drain)
    # The engine alone: this thread reloads (with Qt, it would hand over to the GUI thread).
    monkeypatch.setattr(reloader, "dispatcher", None)
    project.edit("raced", "'v1'", "'v2'")
    checker = threading.Thread(target=qtreload.check)
    checker.start()
    assert drained.wait(10)  # the change is out of the detector, not yet reloaded
    results: list = []
    caller = threading.Thread(target=lambda: results.append(reloader.call(version, (), {})))
    caller.start()
    caller.join(0.3)
    proceed.set()
    caller.join(10)
    checker.join(10)
    assert results == ["v2"]


def test_undo_gets_past_a_metaclass_that_refuses_it(project):
    project.write("stubborn", """
        FROZEN = []

        class Meta(type):
            def __setattr__(cls, name, value):
                if FROZEN or name.startswith("boom"):  # after one refusal, refuse all
                    FROZEN.append(name)
                    raise AttributeError(f"{name} refused")
                super().__setattr__(name, value)

        class K(metaclass=Meta):
            LIMIT = 1

            def m(self):
                return "m v1"
    """)
    stubborn = project.load("stubborn")
    K, instance = stubborn.K, stubborn.K()
    before = live_state(stubborn)
    project.edit("stubborn", "LIMIT = 1", "LIMIT = 2\n    boom = 3")
    project.edit("stubborn", "m v1", "m v2")
    assert not qtreload.check().ok
    assert live_state(stubborn) == before and stubborn.FROZEN == []
    assert K.LIMIT == 1 and instance.m() == "m v1" and not hasattr(K, "boom")


def test_names_rebound_in_one_edit_are_put_back_one_by_one_when_a_later_edit_fails():
    """A full run rebinds the names of its definitions in one edit of the namespace; a
    later edit that fails undoes it: names it replaced get their values back, names it
    added are gone, the others are untouched."""
    from qtreload._edits import EditLog

    class Refuses:
        def __setattr__(self, name, value):
            raise AttributeError(f"{name} may not be patched")

    namespace = {"kept": 1, "replaced": "old", "other": 3}
    log = EditLog()
    log.add("mod", "items", namespace, None, {"replaced": "live", "added": "new"})
    log.add("mod", "set", Refuses(), "attr", 1)
    with pytest.raises(AttributeError):
        log.apply()
    assert namespace == {"kept": 1, "replaced": "old", "other": 3}
    assert log.failed_module == "mod"
