"""The IPython extension in a real ``InteractiveShell``, one fresh subprocess per scenario."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from ipython_helpers import session_lines

import qtreload

SCRIPT1 = """
    import mod2
    LABEL = "script1 version 1"

    def main():
        print("script1 version 1")
        mod2.func2()
"""
MOD2 = """
    from mod3 import func3

    def func2():
        print("mod2 version 1")
        func3()
"""
MOD3 = """
    def func3():
        print("mod3 version 1")
"""


def test_the_seed_chain_runs_versions_2_and_3_after_edits_between_commands(tmp_path: Path):
    lines, err = session_lines(tmp_path, f"""
        save("script1.py", {SCRIPT1!r})
        save("mod2.py", {MOD2!r})
        save("mod3.py", {MOD3!r})
        cell("import script1")
        cell("script1.main()")
        for version in (2, 3):
            for name in ("script1", "mod2", "mod3"):
                edit(name + ".py", f"version {{version - 1}}", f"version {{version}}")
            print("--")
            cell("script1.main()")
    """)
    assert lines == [
        "script1 version 1", "mod2 version 1", "mod3 version 1", "--",
        "script1 version 2", "mod2 version 2", "mod3 version 2", "--",
        "script1 version 3", "mod2 version 3", "mod3 version 3"]
    assert err == ""


def test_a_live_instance_runs_the_edited_method_at_the_next_command(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("mod4.py", '''
            class MyRect:
                def __init__(self, width, height):
                    self.width, self.height = width, height

                def getSizes(self):
                    return "%d x %d" % (self.width, self.height)
        ''')
        cell("import mod4; rect = mod4.MyRect(4, 5)")
        cell("print(rect.getSizes())")
        edit("mod4.py", '"%d x %d" % (self.width, self.height)', '(self.width, self.height)')
        cell("print(rect.getSizes(), type(rect) is mod4.MyRect)")
    """)
    assert lines == ["4 x 5", "(4, 5) True"]


def test_names_imported_into_the_session_are_rebound_constants_too(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("m.py", '''
            N = 1
            TEXT = "one"
            def f():
                return "f v1"
        ''')
        cell("from m import N as foo, TEXT, f as g; import m as mm; mine = 0")
        cell("print(foo, TEXT, g(), mm.N)")
        edit("m.py", "N = 1", "N = 2")
        edit("m.py", '"one"', '"two"')
        edit("m.py", "f v1", "f v2")
        cell("print(foo, TEXT, g(), mm.N)")
        cell("TEXT = 'mine'")  # re-assigned by hand: the user's from now on
        edit("m.py", "N = 2", "N = 3")
        edit("m.py", '"two"', '"three"')
        cell("print(foo, TEXT)")
        cell("def later():\\n    from m import N as mine\\n    return mine")
        edit("m.py", "N = 3", "N = 4")
        cell("print(foo, mine, later())")  # an import inside a def binds nothing here
    """)
    assert lines == ["1 one f v1 1", "2 two f v2 2", "3 mine", "4 0 4"]


def test_star_import_names_added_and_removed(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("stars.py", '''
            A = 1
            B = 2
            _private = 0
        ''')
        save("explicit.py", "__all__ = ['P']\\nP = 1\\nQ = 1\\n")
        cell("from stars import *")
        cell("from explicit import *")
        cell("print(A, B, 'C' in dir())")
        save("stars.py", "A = 10\\nC = 30\\n_private = 1\\n")
        save("explicit.py", "__all__ = ['P', 'R']\\nP = 2\\nQ = 2\\nR = 2\\n")
        cell("print(A, 'B' in dir(), C, '_private' in dir())")
        cell("print(P, 'Q' in dir(), R)")
        cell("C = 'mine'")
        save("stars.py", "A = 100\\n")  # C gone from the module, but the user's C stays
        cell("print(A, C)")
    """)
    assert lines == ["1 2 False", "10 False 30 False", "2 False 2", "100 mine"]


def test_a_syntax_error_prints_one_line_the_session_goes_on_the_next_save_works(tmp_path):
    lines, err = session_lines(tmp_path, """
        save("broken.py", "VALUE = 1\\n")
        cell("from broken import VALUE")
        save("broken.py", "VALUE = 1\\nVALUE = (2,\\n")
        print("cell ran:", cell("print(VALUE)").success)
        print("again:", cell("print(VALUE)").success)
        save("broken.py", "VALUE = 3\\n")
        cell("print(VALUE)")
    """)
    assert lines == ["1", "cell ran: True", "1", "again: True", "3"]
    failures = [line for line in err.splitlines() if line.strip()]
    assert len(failures) == 1, err  # one line, reported once
    assert "broken.py:2: SyntaxError" in failures[0]
    assert "Traceback" not in err and "_transaction" not in err


def test_run_checks_first_and_a_script_run_again_sees_the_new_code(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("helper.py", "def greet():\\n    return 'hello v1'\\n")
        save("script.py", "import helper\\nprint(helper.greet())\\n")
        cell("%run script.py")
        edit("helper.py", "v1", "v2")
        cell("%run script.py")
        cell("import runpy; _ = runpy.run_path('script.py')")
        edit("helper.py", "v2", "v3")
        cell("_ = runpy.run_path('script.py')")
    """)
    assert lines == ["hello v1", "hello v2", "hello v2", "hello v3"]


def test_the_switches_before_command_and_before_script(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("helper.py", "def greet():\\n    return 'v1'\\n")
        save("script.py", "import helper\\nprint('script', helper.greet())\\n")
        cell("import helper")
        cell("%qtreload before-command off")
        edit("helper.py", "'v1'", "'v2'")
        cell("print(helper.greet())")  # no check before this cell
        cell("%run script.py")  # but %run checks first
        cell("%qtreload before-script off")
        edit("helper.py", "'v2'", "'v3'")
        cell("%run script.py")
        cell("%qtreload now")
        cell("print(helper.greet())")
        cell("%qtreload before-command on")
        edit("helper.py", "'v3'", "'v4'")
        cell("print(helper.greet())")
        cell("%qtreload")
    """)
    assert lines[:6] == [
        "qtreload: autoreload before single command: off",
        "v1", "script v2",
        "qtreload: autoreload before script execution: off",
        "script v2", "qtreload: Reloaded: helper"]
    assert lines[6:9] == ["v3", "qtreload: autoreload before single command: on", "v4"]
    status = lines[9:]
    assert status[0].startswith("qtreload: autoreload on, ")
    assert [s.split()[:2] for s in status[1:4]] == [
        ["before-script", "off"], ["before-command", "on"], ["before-events", "on"]]
    assert "last reload at" in status[4] and status[4].endswith(": helper")


def test_unload_undoes_everything_and_leaves_an_apps_own_event_hook(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        from qtreload import _eventhook
        save("m.py", "N = 1\\n")
        cell("from m import N")
        print("hook:", _eventhook.is_installed())
        cell("%unload_ext qtreload")
        print("hook:", _eventhook.is_installed(), "magic:", cell("%qtreload").success)
        save("m.py", "N = 2\\n")
        cell("import sys; print(sys.modules['m'].N)")  # no check before cells any more
        _eventhook.install(timers=True)  # the app's own hook
        cell("%load_ext qtreload")
        cell("print(sys.modules['m'].N)")
        cell("%unload_ext qtreload")
        print("hook:", _eventhook.is_installed())
    """)
    assert lines[:2] == ["hook: True", "hook: False magic: False"]
    assert lines[-3:] == ["1", "2", "hook: True"]


def test_only_the_adapter_imports_ipython_and_the_session_parts_import_no_qt(tmp_path: Path):
    package = Path(qtreload.__file__).parent
    importers = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "IPython" for n in names):
                importers.append(path.name)
    assert set(importers) == {"_ipython.py"}
    script = f"""
import sys, types
package = types.ModuleType("qtreload")  # the modules alone, not the package's adapters
package.__path__ = [{str(package)!r}]
sys.modules["qtreload"] = package
for name in ("_triggers", "_namespace", "_interactive"):
    __import__("qtreload." + name)
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{
    "PyQt5", "PyQt6", "PySide6", "qtpy", "sip", "shiboken6", "blinker", "IPython"}}))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_magic_explains_bad_input_and_shows_the_traceback_on_request(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        save("m.py", "N = 1\\n")
        cell("import m")
        for line in ("verbose maybe", "before-cell on", "before-script", "on now", "traceback"):
            print("ok:", cell("%qtreload " + line).success)
        cell("%qtreload modules")
        save("m.py", "N = (\\n")
        cell("pass")
        cell("%qtreload modules")
        cell("%qtreload traceback")
        cell("%qtreload help")
    """, merged=True)
    text = "\n".join(lines)
    assert "UsageError: qtreload: verbose must be on or off (1/0, yes/no), not 'maybe'" in text
    assert text.count("not understood") == 3
    assert lines.count("ok: False") == 4
    assert "qtreload: no reload has failed" in lines and "ok: True" in lines
    shown = lines.index("SyntaxError: '(' was never closed")  # Python's own rendering
    assert lines[shown - 3].endswith('m.py", line 1') and lines[shown - 2].strip() == "N = ("
    assert any(line.startswith("%qtreload before-command on|off") for line in lines)
    listed = [line for line in lines if line.startswith("m  ")]
    assert listed == [f"m  {tmp_path.resolve() / 'm.py'}",
                      f"m  {tmp_path.resolve() / 'm.py'} (failed: waits for the next save)"]


def test_an_internal_error_of_the_check_is_one_line_and_the_cell_runs(tmp_path: Path):
    lines, _ = session_lines(tmp_path, """
        import qtreload

        def broken():
            raise RuntimeError("detector exploded")

        qtreload.reloader.check = broken
        print("ran:", cell("print('cell output')").success)
        del qtreload.reloader.check
        cell("print('after')")
    """, merged=True)
    assert lines == [
        "qtreload: internal error during the stale check (ignored): "
        "RuntimeError('detector exploded')",
        "cell output", "ran: True", "after"]
