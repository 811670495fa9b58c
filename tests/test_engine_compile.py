"""Compiling watched modules statement by statement: what CPython compiles, qtreload
compiles and runs the same, under any executor, with exact line numbers after edits."""
from __future__ import annotations

import random
import traceback
import types
from pathlib import Path

import pytest
from engine_helpers import assert_ran, run_python

import qtreload
from qtreload import _compiler


def reload_ok(module) -> None:
    report = qtreload.check()
    assert report.ok and report.reloaded == (module.__name__,), report


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("shape", ["elif", "plus"])
def test_deep_but_valid_modules_import_and_reload(tmp_path, shape):
    """A 500-branch ``elif`` chain or a 500-term ``+`` chain: CPython compiles it, so do we."""
    assert assert_ran(run_python(f"""
        import importlib, sys
        from pathlib import Path
        import qtreload
        sys.path.insert(0, ".")
        if {shape!r} == "elif":
            body = "def pick(x):\\n    if x == 0:\\n        return 0\\n" + "".join(
                f"    elif x == {{i}}:\\n        return {{i}}\\n" for i in range(1, 500))
            body += "\\nf = lambda: pick(499)\\n"
        else:
            body = "def total(x):\\n    return " + " + ".join(["x"] * 500) + "\\n"
            body += "\\nf = lambda: total(1)\\n"
        Path("deep.py").write_text("VERSION = 1\\n" + body)
        import deep
        expected = 499 if {shape!r} == "elif" else 500
        assert deep.f() == expected and deep.VERSION == 1
        qtreload.check()
        Path("deep.py").write_text("VERSION = 2\\n" + body)
        report = qtreload.check()
        assert report.ok and report.reloaded == ("deep",), report
        assert deep.VERSION == 2 and deep.f() == expected
        print("ok")
    """, tmp_path)) == "ok\n"


def test_runpy_runs_a_watched_module(tmp_path):
    """Code qtreload compiled runs under other executors: no name added to globals."""
    (tmp_path / "tool.py").write_text(
        "def make():\n    def inner():\n        return 'inner'\n    return inner\n\n"
        "RESULT = (lambda: make()())()\n")
    out = assert_ran(run_python("""
        import runpy, sys
        import qtreload
        sys.path.insert(0, ".")
        import tool
        assert tool.RESULT == "inner" and "__qtreload_track__" not in vars(tool)
        namespace = runpy.run_module("tool")
        print(namespace["RESULT"], "__qtreload_track__" in namespace)
    """, tmp_path))
    assert out == "inner False\n"


def test_traceback_from_a_reused_statement_after_a_full_run_moved_it(project):
    project.write("mod", """
        LIMIT = 1

        def boom():
            x = 1
            raise ValueError("boom")

        class Panel:
            def fail(self):
                return 1 / 0
    """)
    module = project.load("mod")
    qtreload.check()
    path = project.path("mod")
    # A module-level edit that adds three lines: the full run re-uses the code of
    # ``boom`` and ``Panel`` (unchanged text), moved down.
    project.edit("mod", "LIMIT = 1", "LIMIT = 2\nA = 1\nB = 2\nC = 3")
    reload_ok(module)
    assert module.LIMIT == 2
    for call, text in [(module.boom, 'raise ValueError("boom")'),
                       (module.Panel().fail, "return 1 / 0")]:
        with pytest.raises(Exception) as info:
            call()
        frame = traceback.extract_tb(info.value.__traceback__)[-1]
        assert (frame.filename, frame.lineno, frame.line) == (str(path), line_of(path, text), text)


def test_semicolons_docstrings_and_bare_strings(project):
    project.write("mod", '''
        """The docstring."""
        import os; A = 1
        "not a docstring"
        B = A + 1
    ''')
    module = project.load("mod")
    qtreload.check()
    assert module.__doc__ == "The docstring." and module.B == 2
    project.edit("mod", "B = A + 1", "B = A + 2")
    reload_ok(module)
    assert module.__doc__ == "The docstring." and module.B == 3 and module.os
    project.edit("mod", '"""The docstring."""\nimport os; A = 1\n', "")
    project.edit("mod", "B = A + 2", "B = 4")
    reload_ok(module)
    assert module.__doc__ == "not a docstring" and module.B == 4 and not hasattr(module, "A")


def test_future_import_moved_below_code_is_a_syntax_error_as_in_cpython(project):
    project.write("mod", """
        from __future__ import annotations
        X = 1
    """)
    module = project.load("mod")
    qtreload.check()
    project.edit("mod", "from __future__ import annotations\nX = 1",
                 "X = 2\nfrom __future__ import annotations")
    report = qtreload.check()
    assert isinstance(report.failures[0].exception, SyntaxError) and module.X == 1


def _equivalent(info: _compiler.ModuleInfo, source: bytes, path: str) -> None:
    """``info`` (from a recompile) is what compiling ``source`` from scratch gives."""
    _, fresh = _compiler.compile_module(source, path)
    assert [(s.start, s.end, s.key, s.kind, s.name, s.binds, s.loads)
            for s in info.statements] == [
        (s.start, s.end, s.key, s.kind, s.name, s.binds, s.loads) for s in fresh.statements]

    def lines(code: types.CodeType | None) -> list:
        # The fresh statements hold the code objects of the whole module's code.
        if code is None:
            return []
        nested = [lines(c) for c in code.co_consts if isinstance(c, types.CodeType)]
        return [code.co_firstlineno, code.co_code, list(code.co_positions()), nested]

    assert [lines(s.code) for s in info.statements] == [lines(s.code) for s in fresh.statements]


def test_recompile_after_random_edits_equals_a_fresh_compile():
    """Edits of a real module (qtreload's own hot-swap): re-used and moved statements
    have exactly the lines and positions a fresh compile gives."""
    path = str(Path(_compiler.__file__).with_name("_hotswap.py"))
    lines = Path(path).read_bytes().splitlines(keepends=True)
    rng = random.Random(13)
    _, info = _compiler.compile_module(b"".join(lines), path)
    edits = 0
    while edits < 80:
        new = list(lines)
        if rng.random() < 0.3:  # a second edit elsewhere in the same save
            second = rng.randrange(3, len(new))
            new[second] = new[second].replace(b"return", b"return  ")
        at = rng.randrange(3, len(new))
        kind = rng.choice(["comment", "blank", "delete", "edit", "def", "import"])
        if kind == "comment":
            new.insert(at, b"# a comment\n")
        elif kind == "blank":
            new.insert(at, b"\n")
        elif kind == "delete":
            del new[at]
        elif kind == "edit":
            new[at] = new[at].replace(b"self", b"this")
        elif kind == "def":
            new.insert(at, b"def added():\n    return 1\n")
        else:  # a new imported name: the statements using it compile differently
            new.insert(at, b"import types as _removed_members\n")
        source = b"".join(new)
        try:
            compile(source, path, "exec", dont_inherit=True)
        except SyntaxError:
            with pytest.raises(SyntaxError):
                _compiler.recompile(info, source, path)
            continue
        recompiled = _compiler.recompile(info, source, path)
        _equivalent(recompiled, source, path)
        info, lines, edits = recompiled, new, edits + 1


def test_an_edit_inside_one_method_compiles_that_method_only(project, monkeypatch):
    project.write("mod", """
        class Base:
            def hello(self):
                return "base"

        class Big(Base):
            LIMIT = 3

            def first(self):
                return 1

            def second(self):
                x = 1
                raise ValueError("second v1")

            def third(self):
                return "third v1"
    """)
    module = project.load("mod")
    qtreload.check()
    live = module.Big()
    compiled: list[str] = []
    real = _compiler._compile_piece

    def spy(text, path, context):
        compiled.append(text)
        return real(text, path, context)

    monkeypatch.setattr(_compiler, "_compile_piece", spy)
    project.edit("mod", 'raise ValueError("second v1")', 'raise ValueError("second v2")')
    reload_ok(module)
    assert len(compiled) == 1 and "def second" in compiled[0] and "def first" not in compiled[0]
    path = project.path("mod")
    with pytest.raises(ValueError, match="second v2") as info:
        live.second()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    text = 'raise ValueError("second v2")'
    assert (frame.lineno, frame.line) == (line_of(path, "second v2"), text)
    # A method that starts using super(): the class needs a __class__ cell, so the
    # whole class statement compiles.
    compiled.clear()
    project.edit("mod", 'return "third v1"', 'return super().hello() + " third v2"')
    reload_ok(module)
    assert live.third() == "base third v2" and "LIMIT" in compiled[-1]
