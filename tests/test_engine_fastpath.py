"""The fast path: a save that only edits def/class statements re-runs just those.

Proof that a reload took the fast path: the module appends to ``RUNS`` (in a
module that never reloads) at top level, and the fast path runs no top-level code.
"""
from __future__ import annotations

import logging
import os
import traceback

from engine_helpers import live_state

import qtreload

HELPERS = """
    def tag(label):
        def decorate(func):
            func.label = label
            return func
        return decorate

    def refuse(flag):
        if flag:
            raise RuntimeError("refused by the decorator")
        return lambda func: func
"""

MODULE = """
    from {p}state import RUNS
    from {p}helpers import tag, refuse
    RUNS.append("mod")
    DATA = {"count": 0}
    LIMIT = 1

    def f(a, b=1):
        return ("f v1", a, b)

    @tag("label v1")
    def tagged():
        return "tagged v1"

    @refuse(False)
    def guarded():
        return "guarded v1"

    def other():
        return sorted(["B", "a"], key=lambda s: s.lower())

    class Panel:
        def __init__(self):
            self.callback = lambda: ("callback v1", self.value())

        def value(self):
            return "value v1"

    def boom():
        x = 1
        raise ValueError("boom v1")
"""


def make(project):
    project.write("state", "RUNS = []\n")
    project.write("helpers", HELPERS)
    project.write("mod", MODULE)
    module = project.load("mod")
    runs = project.load("state").RUNS
    qtreload.check()
    assert runs == ["mod"]
    return module, runs


def reload_ok(module) -> None:
    report = qtreload.check()
    assert report.ok and report.reloaded == (module.__name__,), report


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_body_edit_takes_the_fast_path_and_keeps_module_data(project):
    module, runs = make(project)
    f, data = module.f, module.DATA
    data["count"] = 5  # module-level state, changed at run time
    project.edit("mod", '"f v1"', '"f v2"')
    reload_ok(module)
    assert runs == ["mod"]  # no top-level code ran
    assert module.f is f and f(0) == ("f v2", 0, 1)
    assert module.DATA is data and data["count"] == 5


def test_method_body_and_decorator_edits_take_the_fast_path(project):
    module, runs = make(project)
    panel, tagged = module.Panel(), module.tagged
    assert tagged.label == "label v1"
    project.edit("mod", '"value v1"', '"value v2"')
    project.edit("mod", '@tag("label v1")', '@tag("label v2")')
    reload_ok(module)
    assert runs == ["mod"]
    assert panel.value() == "value v2" and module.Panel is type(panel)
    assert module.tagged is tagged and tagged.label == "label v2"
    assert tagged() == "tagged v1"


def test_signature_change_takes_the_fast_path(project):
    module, runs = make(project)
    f = module.f
    project.edit("mod", "def f(a, b=1):\n    return (\"f v1\", a, b)",
                 "def f(a, b=2, *, c=3):\n    return (\"f v2\", a, b, c)")
    reload_ok(module)
    assert runs == ["mod"]
    assert module.f is f and f(0) == ("f v2", 0, 2, 3) and f(1, c=4) == ("f v2", 1, 2, 4)


def test_module_level_edit_takes_the_full_path(project):
    module, runs = make(project)
    f = module.f
    project.edit("mod", "LIMIT = 1", "LIMIT = 2")
    project.edit("mod", '"f v1"', '"f v2"')
    reload_ok(module)
    assert runs == ["mod", "mod"]
    assert module.LIMIT == 2 and module.f is f and f(0) == ("f v2", 0, 1)


def test_added_and_removed_functions_take_the_fast_path(project):
    module, runs = make(project)
    data, panel = module.DATA, module.Panel()
    data["count"] = 5
    project.edit("mod", "def other():", "def added():\n    return 'added'\n\ndef other():")
    reload_ok(module)
    assert runs == ["mod"] and module.DATA is data and data["count"] == 5
    assert module.added() == "added"
    project.edit("mod", "def added():\n    return 'added'\n\n", "")
    reload_ok(module)
    assert runs == ["mod"] and not hasattr(module, "added")  # the name left the namespace
    assert panel.value() == "value v1" and module.other() == ["a", "B"]


def test_a_comment_line_above_definitions_keeps_the_fast_path_and_moves_their_lines(project):
    module, runs = make(project)
    boom, data = module.boom, module.DATA
    project.edit("mod", "LIMIT = 1\n", "LIMIT = 1\n# a comment\n\n")
    reload_ok(module)
    assert runs == ["mod"] and module.DATA is data
    path = project.path("mod")
    try:
        boom()  # untouched, moved down two lines
    except ValueError as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
    assert module.boom is boom
    assert (frame.lineno, frame.line) == (line_of(path, "boom v1"), 'raise ValueError("boom v1")')


def test_removed_function_still_used_by_top_level_code_takes_the_full_path(project):
    project.write("state", "RUNS = []\n")
    project.write("mod", """
        from {p}state import RUNS
        RUNS.append("mod")

        def helper():
            return 1

        def other():
            return 2

        VALUE = other()
    """)
    module = project.load("mod")
    runs = project.load("state").RUNS
    qtreload.check()
    project.edit("mod", "def other():\n    return 2\n", "")
    report = qtreload.check()  # the full run fails at ``other()``: nothing changes
    assert not report.ok and isinstance(report.failures[0].exception, NameError)
    assert runs == ["mod", "mod"] and module.other() == 2


def test_moved_module_level_lambda_takes_the_full_path(project):
    project.write("state", "RUNS = []\n")
    project.write("mod", """
        from {p}state import RUNS
        RUNS.append("mod")

        def f():
            return 1

        KEY = lambda: 1 / 0
    """)
    module = project.load("mod")
    runs = project.load("state").RUNS
    qtreload.check()
    project.edit("mod", "def f():", "# moved\ndef f():")
    reload_ok(module)
    assert runs == ["mod", "mod"]  # the lambda's code has the new line numbers
    try:
        module.KEY()
    except ZeroDivisionError as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
    assert frame.lineno == line_of(project.path("mod"), "KEY = lambda")


def test_syntax_error_in_a_def_is_reported_once_and_changes_nothing(project, caplog):
    module, runs = make(project)
    before = live_state(module)
    project.edit("mod", '    return ("f v1", a, b)', '    return ("f v2", a, b\n')
    path = project.path("mod")
    with caplog.at_level(logging.DEBUG, logger="qtreload"):
        report = qtreload.check()
        (failure,) = report.failures
        assert isinstance(failure.exception, SyntaxError)
        assert failure.path == str(path)
        assert failure.lineno == line_of(path, 'return ("f v2", a, b')
        assert live_state(module) == before and runs == ["mod"]
        assert not qtreload.check()  # reported once
        errors = [r for r in caplog.records if r.name == "qtreload" and r.levelno >= logging.ERROR]
        assert len(errors) == 1
    project.edit("mod", '    return ("f v2", a, b\n', '    return ("f v3", a, b)')
    reload_ok(module)
    assert module.f(1) == ("f v3", 1, 1) and runs == ["mod"]


def test_runtime_error_while_running_the_chunk_rolls_back(project):
    module, runs = make(project)
    panel = module.Panel()
    before = live_state(module)
    project.edit("mod", '"value v1"', '"value v2"')  # a good edit in the same save
    project.edit("mod", "@refuse(False)", "@refuse(True)")
    path = project.path("mod")
    report = qtreload.check()
    (failure,) = report.failures
    assert isinstance(failure.exception, RuntimeError)
    assert failure.lineno == line_of(path, "@refuse(True)")
    assert live_state(module) == before and runs == ["mod"]
    assert panel.value() == "value v1" and module.guarded() == "guarded v1"
    project.edit("mod", "@refuse(True)", "@refuse(False)")
    reload_ok(module)
    assert panel.value() == "value v2" and runs == ["mod"]


def test_lambdas_in_edited_and_untouched_functions(project):
    module, runs = make(project)
    panel = module.Panel()
    callback = panel.callback
    project.edit("mod", '("callback v1", self.value())', '("callback v2", self.value())')
    reload_ok(module)
    assert runs == ["mod"]
    assert panel.callback is callback and callback() == ("callback v2", "value v1")
    assert module.other() == ["a", "B"]  # its lambda, untouched, still works
    # And across a full reload after the fast one.
    project.edit("mod", "LIMIT = 1", "LIMIT = 2")
    project.edit("mod", '("callback v2", self.value())', '("callback v3", self.value())')
    reload_ok(module)
    assert runs == ["mod", "mod"]
    assert callback() == ("callback v3", "value v1") and module.other() == ["a", "B"]


def test_alternating_fast_and_full_reloads_stay_correct(project):
    module, runs = make(project)
    f, panel = module.f, module.Panel()
    callback = panel.callback
    limit, expected_runs = 1, 1
    for version in range(2, 12):
        if version % 3 == 0:  # a module-level edit too: the full path
            project.edit("mod", f"LIMIT = {limit}", f"LIMIT = {limit + 1}")
            limit += 1
            expected_runs += 1
        project.edit("mod", f'"f v{version - 1}"', f'"f v{version}"')
        value = f'"value v{version}"'
        if version % 4 == 0:
            # One more line, with code after it: still the fast path (moved lines).
            value += f"\n        # line {version}"
        project.edit("mod", f'"value v{version - 1}"', value)
        project.edit("mod", f'"callback v{version - 1}"', f'"callback v{version}"')
        reload_ok(module)
        assert len(runs) == expected_runs and limit == module.LIMIT
        assert module.f is f and f(0) == (f"f v{version}", 0, 1)
        assert panel.value() == f"value v{version}"
        assert callback() == (f"callback v{version}", f"value v{version}")
        assert module.other() == ["a", "B"]
        try:
            module.boom()
        except ValueError as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
        assert frame.lineno == line_of(project.path("mod"), 'raise ValueError("boom v1")')
    assert expected_runs == 4  # the others took the fast path


def test_traceback_line_numbers_after_a_fast_reload(project):
    """The last definition grows by two lines: nothing after it has code, fast path."""
    module, runs = make(project)
    project.edit("mod", 'raise ValueError("boom v1")',
                 'y = 2\n    z = 3\n    raise ValueError("boom v2")')
    reload_ok(module)
    assert runs == ["mod"]
    path = project.path("mod")
    try:
        module.boom()
    except ValueError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    assert frames[-1].filename == str(path)
    assert frames[-1].lineno == line_of(path, 'raise ValueError("boom v2")')
    assert frames[-1].line == 'raise ValueError("boom v2")'


def test_definitions_other_code_uses_while_running_take_the_full_path(project):
    project.write("state", "RUNS = []\n")
    project.write("mod", """
        from {p}state import RUNS
        RUNS.append("mod")
        REGISTRY = []

        def register(func):
            REGISTRY.append(func)
            return func

        @register
        def handler():
            return "handler v1"

        def tagged():
            return "tagged v1"

        tagged.tag = "tag"
    """)
    module = project.load("mod")
    runs = project.load("state").RUNS
    qtreload.check()
    # A local decorator would register the new function again: full path.
    project.edit("mod", '"handler v1"', '"handler v2"')
    reload_ok(module)
    assert runs == ["mod", "mod"] and len(module.REGISTRY) == 1
    assert module.REGISTRY[0]() == "handler v2"
    # Top-level code sets an attribute on the function: full path, the attribute stays.
    project.edit("mod", '"tagged v1"', '"tagged v2"')
    reload_ok(module)
    assert runs == ["mod", "mod", "mod"]
    assert module.tagged() == "tagged v2" and module.tagged.tag == "tag"


def test_module_imported_before_qtreload_takes_the_full_path_then_the_fast_one(project):
    project.write("state", "RUNS = []\n")
    project.write("mod", MODULE)
    project.write("helpers", HELPERS)
    qtreload.disable()
    try:
        module = project.load("mod")
    finally:
        qtreload.enable()
    runs = project.load("state").RUNS
    qtreload.check()
    project.edit("mod", '"f v1"', '"f v2"')
    reload_ok(module)
    assert runs == ["mod", "mod"]  # not compiled by qtreload: full path
    project.edit("mod", '"f v2"', '"f v3"')
    reload_ok(module)
    assert runs == ["mod", "mod"] and module.f(0) == ("f v3", 0, 1)
    os.utime(project.path("mod"))
    assert not qtreload.check()


def test_a_base_class_edit_makes_its_subclasses_again_as_the_full_run_does(project):
    """``__init_subclass__`` and a dataclass base's defaults act on the subclasses again."""
    project.write("state", "RUNS = []\n")
    project.write("mod", """
        import dataclasses
        from {p}state import RUNS
        RUNS.append("mod")
        DATA = {}

        class Plugin:
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                cls.tag = ("tag v1", cls.__name__)

            def describe(self):
                return "describe v1"

        class Saver(Plugin):
            pass

        @dataclasses.dataclass
        class Point:
            x: int = 1

        @dataclasses.dataclass
        class Point3(Point):
            z: int = 3
    """)
    module = project.load("mod")
    runs = project.load("state").RUNS
    qtreload.check()
    saver, point3 = module.Saver, module.Point3
    project.edit("mod", '"tag v1"', '"tag v2"')
    reload_ok(module)
    assert module.Saver is saver and saver.tag == ("tag v2", "Saver")
    project.edit("mod", "x: int = 1", "x: int = 10")
    reload_ok(module)
    assert module.Point3 is point3 and point3() == point3(10, 3) and point3().x == 10
    assert runs == ["mod", "mod", "mod"]  # a full run each time: subclasses made again
    # A method body edit in a base leaves its subclasses as they are: fast path.
    data = module.DATA
    project.edit("mod", '"describe v1"', '"describe v2"')
    reload_ok(module)
    assert runs == ["mod", "mod", "mod"] and module.DATA is data
    assert saver().describe() == "describe v2"


def test_adding_a_function_to_a_package_init_keeps_its_configuration(project):
    """As in pyqtgraph's ``__init__``: options set at run time, an ``atexit``
    registration, star imports of submodules after the definitions."""
    project.write("state", "RUNS = []\nEXITS = []\n")
    project.write("pkg.widgets", "__all__ = ['Widget']\n\nclass Widget:\n    pass\n")
    project.write("pkg.__init__", """
        from {p}state import RUNS, EXITS
        RUNS.append("pkg")
        CONFIG = {"antialias": False}

        def setConfigOptions(**options):
            CONFIG.update(options)

        EXITS.append(setConfigOptions)  # what atexit.register would keep

        from .widgets import *
    """)
    package = project.load("pkg")
    state = project.load("state")
    qtreload.check()
    package.setConfigOptions(antialias=True)
    project.edit("pkg.__init__", "EXITS.append", "def mkQApp():\n    return 'app'\n\nEXITS.append")
    reload_ok(package)
    assert package.mkQApp() == "app" and package.CONFIG == {"antialias": True}
    assert state.RUNS == ["pkg"] and len(state.EXITS) == 1
    # A definition a star import after it would replace: the full run decides.
    project.edit("pkg.__init__", "def mkQApp():", "class Widget:\n    pass\n\n\ndef mkQApp():")
    reload_ok(package)
    assert state.RUNS == ["pkg", "pkg"] and package.Widget is project.load("pkg.widgets").Widget


MOVING = """
    from {p}state import RUNS, register, hide
    RUNS.append("mod")

    @register
    def handler():
        raise ValueError("handler")

    @hide
    def hidden():
        raise ValueError("hidden")

    class Panel:
        class Inner:
            def deep(self):
                raise ValueError("deep")

        @property
        def prop(self):
            raise ValueError("prop")

        @staticmethod
        def static():
            raise ValueError("static")

        @classmethod
        def klass(cls):
            raise ValueError("klass")

        def make(self):
            return lambda: self.fail()

        def fail(self):
            raise ValueError("fail")
"""

MOVING_STATE = """
    RUNS = []
    REGISTERED = []

    def register(func):
        REGISTERED.append(func)
        return func

    def hide(func):  # keeps func in a closure of its own: qtreload cannot see it
        def hidden_by_decorator():
            return func()
        return hidden_by_decorator
"""


def raised_at(call) -> tuple[int, str]:
    """The line (number, text) of the innermost frame of what ``call`` raised."""
    try:
        call()
    except ValueError as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return frame.lineno, frame.line
    raise AssertionError("did not raise")


def test_tracebacks_after_a_comment_line_was_added_point_at_the_moved_lines(project):
    """Definitions below a new comment line move without running again: their live
    functions (methods, properties, static and class methods, a nested class's, a
    live lambda's) raise at the lines the file has now."""
    project.write("state", MOVING_STATE)
    project.write("mod", MOVING)
    module, state = project.load("mod"), project.load("state")
    qtreload.check()
    panel = module.Panel()
    lam, handler, panel_class = panel.make(), module.handler, module.Panel
    calls = {"handler": module.handler, "hidden": lambda: module.hidden(),
             "deep": lambda: module.Panel.Inner().deep(), "prop": lambda: panel.prop,
             "static": module.Panel.static, "klass": module.Panel.klass, "fail": lam}
    path = project.path("mod")
    for comment in ("    # a comment\n\n", "    #\n    # a longer comment\n    #\n"):
        project.write("mod", MOVING.replace('RUNS.append("mod")\n',
                                            'RUNS.append("mod")\n' + comment))
        reload_ok(module)
        assert state.RUNS == ["mod"]
        assert len(state.REGISTERED) == 1 and state.REGISTERED[0] is handler  # not run again
        assert module.handler is handler and module.Panel is panel_class
        for name, call in calls.items():
            assert raised_at(call) == (line_of(path, f'ValueError("{name}")'),
                                       f'raise ValueError("{name}")'), name
        try:
            lam()
        except ValueError as exc:
            outer = traceback.extract_tb(exc.__traceback__)[-2]
        assert (outer.lineno, outer.line) == (line_of(path, "lambda: self.fail()"),
                                              "return lambda: self.fail()")

