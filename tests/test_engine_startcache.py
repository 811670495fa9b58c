"""The start-up cache: a second start takes what qtreload compiled, and never stale code.

Each test runs fresh interpreters with bytecode writing on (``PYTHONDONTWRITEBYTECODE``
unset) over real files, and counts the compiles qtreload's loader makes.
"""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from engine_helpers import assert_ran, run_python

TAG = sys.implementation.cache_tag

PRELUDE = """
    import importlib, os, sys, time
    from pathlib import Path
    import qtreload
    from qtreload import _loader
    sys.path.insert(0, ".")
    COMPILES = []
    _compile = _loader.compile_module
    def counting(source, path):
        COMPILES.append(Path(path).name)
        return _compile(source, path)
    _loader.compile_module = counting
"""

PANEL = """
    VALUE = {value}

    class Panel:
        def __init__(self):
            self.callback = lambda: ("callback v{value}", VALUE)
"""


def start(tmp_path: Path, code: str, env: dict | None = None) -> str:
    """Run ``code`` after the prelude in a fresh interpreter that writes bytecode."""
    script = textwrap.dedent(PRELUDE) + textwrap.dedent(code)
    return assert_ran(run_python(script, tmp_path, env=env, unset=["PYTHONDONTWRITEBYTECODE"]))


def write(tmp_path: Path, name: str, value: int) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(PANEL.format(value=value)))
    return path


def cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.qtreload"))


def test_second_start_takes_the_cache_and_live_closures_stay_tracked(tmp_path):
    write(tmp_path, "panel", 1)
    first = start(tmp_path, "import panel\nprint(COMPILES, panel.Panel().callback())")
    assert first == "['panel.py'] ('callback v1', 1)\n"
    assert cache_files(tmp_path) == [f"panel.{TAG}.qtreload"]
    # Second start: no compile; a live lambda made by the cached code runs its new code.
    second = start(tmp_path, """
        import panel
        qtreload.check()
        live = panel.Panel()
        source = Path("panel.py").read_text()
        Path("panel.py").write_text(source.replace('"callback v1"', '"callback v2"'))
        report = qtreload.check()
        assert report.ok and report.reloaded == ("panel",), report
        print(COMPILES, live.callback())
    """)
    assert second == "[] ('callback v2', 1)\n"


def test_rapid_same_size_saves_never_give_stale_code(tmp_path):
    """Same size, same modification time: the hash of the bytes decides, not the stat."""
    path = write(tmp_path, "rapid", 10)
    out = start(tmp_path, """
        stamp = os.stat("rapid.py").st_mtime_ns
        seen = []
        for value in range(10, 60):
            Path("rapid.py").write_text(Path("rapid.py").read_text().replace(
                f"VALUE = {value - 1 if value > 10 else 10}", f"VALUE = {value}"))
            os.utime("rapid.py", ns=(stamp, stamp))
            sys.modules.pop("rapid", None)
            import rapid
            seen.append(rapid.VALUE == value)
        print(all(seen), len(COMPILES))
    """)
    assert out == "True 50\n"
    assert "VALUE = 59" in path.read_text()
    # And the next start takes the last entry, which is the file's.
    assert start(tmp_path, "import rapid\nprint(rapid.VALUE, COMPILES)") == "59 []\n"


def test_a_cache_file_from_another_source_or_corrupted_is_ignored(tmp_path):
    write(tmp_path, "a", 1)
    write(tmp_path, "b", 2)
    start(tmp_path, "import a, b")
    cache = tmp_path / "__pycache__"
    entry_a, entry_b = cache / f"a.{TAG}.qtreload", cache / f"b.{TAG}.qtreload"
    entry_b.write_bytes(entry_a.read_bytes())  # another source's entry
    assert start(tmp_path, "import b\nprint(b.VALUE, COMPILES)") == "2 ['b.py']\n"
    data = bytearray(entry_a.read_bytes())
    data[-40] ^= 0xFF  # one flipped byte inside the stored code
    entry_a.write_bytes(bytes(data))
    assert start(tmp_path, "import a\nprint(a.VALUE, COMPILES)") == "1 ['a.py']\n"
    entry_a.write_bytes(entry_a.read_bytes()[:60])  # truncated
    assert start(tmp_path, "import a\nprint(a.VALUE, COMPILES)") == "1 ['a.py']\n"
    # Each time the entry was written again, whole: the next start takes it.
    assert start(tmp_path, "import a, b\nprint(a.VALUE, b.VALUE, COMPILES)") == "1 2 []\n"


def test_a_pycache_that_cannot_be_written_is_no_error_and_never_stale(tmp_path):
    write(tmp_path, "mod", 1)
    start(tmp_path, "import mod")
    cache = tmp_path / "__pycache__"
    write(tmp_path, "mod", 2)  # the stored entry is now stale
    if os.geteuid() != 0:  # root writes anyway: the check below covers that case
        cache.chmod(0o555)
        try:
            assert start(tmp_path, "import mod\nprint(mod.VALUE, COMPILES)") == "2 ['mod.py']\n"
        finally:
            cache.chmod(0o755)
    # A file where the folder should be: nothing can be written there.
    write(tmp_path, "other", 3)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "__pycache__").write_text("not a folder")
    write(blocked, "inner", 4)
    out = start(tmp_path, """
        sys.path.insert(0, "blocked")
        import inner, mod
        print(inner.VALUE, mod.VALUE, sorted(COMPILES))
    """)
    assert out.startswith("4 2 ['inner.py'")
    assert (blocked / "__pycache__").read_text() == "not a folder"


def test_dont_write_bytecode_and_pycache_prefix_are_respected(tmp_path):
    write(tmp_path, "mod", 1)
    out = start(tmp_path, "import mod\nprint(mod.VALUE)", env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert out == "1\n" and cache_files(tmp_path) == []
    prefix = tmp_path / "prefix"
    out = start(tmp_path, "import mod\nprint(mod.VALUE)", env={"PYTHONPYCACHEPREFIX": str(prefix)})
    assert out == "1\n" and not (tmp_path / "__pycache__").exists()
    assert cache_files(prefix) == [f"mod.{TAG}.qtreload"]
    again = start(tmp_path, "import mod\nprint(mod.VALUE, COMPILES)",
                  env={"PYTHONPYCACHEPREFIX": str(prefix)})
    assert again == "1 []\n"


@pytest.mark.parametrize("damage", ["foreign", "corrupt"])
def test_damaged_entries_are_rewritten(tmp_path, damage):
    write(tmp_path, "mod", 1)
    start(tmp_path, "import mod")
    entry = tmp_path / "__pycache__" / f"mod.{TAG}.qtreload"
    good = entry.read_bytes()
    entry.write_bytes(b"garbage" if damage == "corrupt" else good[:5] + b"\0" * 16 + good[21:])
    start(tmp_path, "import mod")
    assert entry.read_bytes() == good


def test_a_second_start_takes_the_imports_from_the_cache_and_orders_reloads_by_them(tmp_path):
    """The cache keeps what the import scan found: at a second start the modules are
    not scanned again, and a save of both an importer and what it imports still
    reloads the imported one first (by name it would come last)."""
    (tmp_path / "zeta.py").write_text("VALUE = 1\n")
    (tmp_path / "alpha.py").write_text("from zeta import VALUE\nCOPY = VALUE\n")
    code = """
        from qtreload import _imports, _startcache
        SCANS = []
        _scan = _imports.found_imports
        def scanning(source):
            SCANS.append(len(source))
            return _scan(source)
        _imports.found_imports = _startcache.found_imports = scanning
        import alpha
        qtreload.check()
        print(COMPILES, len(SCANS))
    """
    assert start(tmp_path, code) == "['alpha.py', 'zeta.py'] 2\n"  # scanned once, for the cache
    code += """
        Path("zeta.py").write_text("VALUE = 2\\n")
        Path("alpha.py").write_text("from zeta import VALUE\\nCOPY = VALUE * 10\\n")
        report = qtreload.check()
        print(report.reloaded, alpha.COPY)
    """
    assert start(tmp_path, code) == "[] 0\n('zeta', 'alpha') 20\n"
