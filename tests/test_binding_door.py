"""One door to the Qt binding: only ``qtreload/_compat.py`` imports it, and it picks the binding."""
from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path

import pytest
from engine_helpers import REPO, assert_ran, run_python

from qtreload import _compat

#: Top-level packages that belong to a Qt binding (or bridge one).
QT_PACKAGES = ("PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy", "sip", "shiboken2", "shiboken6")
BINDING_PACKAGES = ("PyQt5", "PyQt6", "PySide2", "PySide6")
INSTALLED = [api for api, package in _compat.BINDINGS.items()
             if importlib.util.find_spec(package) is not None]


def _names_a_binding(text: str) -> bool:
    return text.split(".")[0] in QT_PACKAGES


@pytest.mark.parametrize("path", sorted((REPO / "qtreload").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_door_imports_the_binding(path: Path):
    if path.name == "_compat.py":
        return
    tree = ast.parse(path.read_text(), str(path))
    leaks = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            leaks += [alias.name for alias in node.names if _names_a_binding(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            leaks += [node.module] if _names_a_binding(node.module) else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # a module name in a string ("PyQt5.") is an import in disguise
            leaks += [node.value] if " " not in node.value and _names_a_binding(node.value) else []
    assert leaks == [], f"{path.name} reaches the Qt binding around qtreload._compat: {leaks}"


@pytest.mark.parametrize("api", INSTALLED)
def test_qtreload_loads_only_the_selected_binding(api, tmp_path):
    out = assert_ran(run_python(f"""
import sys
import qtreload, qtreload.widgets, qtreload._cli
from qtreload import _compat
print(_compat.API, *sorted(set(m.split(".")[0] for m in sys.modules) & set({BINDING_PACKAGES!r})))
""", tmp_path, env={"QT_API": api}))
    assert out.split() == [api, _compat.BINDINGS[api]]


@pytest.mark.skipif(len(INSTALLED) < 2, reason="needs two bindings installed")
def test_without_qt_api_the_binding_the_app_imported_wins(tmp_path):
    other = INSTALLED[-1]
    out = assert_ran(run_python(f"""
import {_compat.BINDINGS[other]}.QtCore
import qtreload._compat
print(qtreload._compat.API)
""", tmp_path, unset=("QT_API",)))
    assert out.strip() == other


def test_selection_order():
    everything = {"PyQt5", "PyQt6", "PySide6"}.__contains__
    assert _compat.select_api({"QT_API": "PySide6"}, {"PyQt5": 1}, everything) == "pyside6"
    assert _compat.select_api({}, {"PyQt6": 1}, everything) == "pyqt6"
    assert _compat.select_api({}, {}, everything) == "pyqt5"
    assert _compat.select_api({}, {}, {"PySide6"}.__contains__) == "pyside6"
    assert _compat.selection({"QT_API": "pyqt6"}, {"PyQt5": 1}, everything) == ("pyqt6", "QT_API")
    assert _compat.selection({}, {"PySide6": 1}, everything) == ("pyside6", "imported")
    assert _compat.selection({}, {}, everything) == ("pyqt5", "installed")


def test_unsupported_or_missing_binding_is_a_clear_import_error():
    with pytest.raises(ImportError, match="QT_API='pyside2' is not a supported binding.*pyqt5"):
        _compat.select_api({"QT_API": "pyside2"}, {}, lambda package: True)
    with pytest.raises(ImportError, match=r"no Qt binding is installed: pip install "
                                          r"'qtreload-live\[pyqt5\]'"):
        _compat.select_api({}, {}, lambda package: False)


def test_a_missing_named_binding_is_a_clear_import_error(tmp_path):
    missing = [api for api in _compat.BINDINGS if api not in INSTALLED]
    if not missing:
        pytest.skip("every binding is installed")
    result = run_python("import qtreload", tmp_path, env={"QT_API": missing[0]})
    assert result.returncode == 1 and "is not installed: pip install" in result.stderr


def test_pytest_qt_uses_the_same_binding():
    from pytestqt.qt_compat import qt_api
    assert qt_api.pytest_qt_api == _compat.API
    assert os.environ["PYTEST_QT_API"] == _compat.API


@pytest.mark.skipif(len(INSTALLED) < 2, reason="needs two bindings installed")
def test_a_signal_of_another_binding_names_the_fix(tmp_path):
    used, other = INSTALLED[0], INSTALLED[-1]
    package = _compat.BINDINGS[other]
    result = run_python(f"""
import qtreload
from {package}.QtWidgets import QApplication, QPushButton
app = QApplication([])
qtreload.connect(QPushButton().clicked, print)
""", tmp_path, env={"QT_API": used})
    assert result.returncode == 1
    assert f"is a signal of {package}, but qtreload uses {_compat.BINDINGS[used]}: " \
           f"set QT_API={other}" in result.stderr


def test_pyside6_6_12_0_on_python_3_11_is_named_as_a_known_defect():
    """It aborts any app after a few hundred emits (binding facts F9): warned at import."""
    warning = _compat.known_defect("pyside6", "6.12.0", (3, 11))
    assert warning and "aborts the app" in warning and "6.11.3" in warning
    assert _compat.known_defect("pyside6", "6.12.0", (3, 12)) is None
    assert _compat.known_defect("pyside6", "6.11.3", (3, 11)) is None
    assert _compat.known_defect("pyqt6", "6.12.0", (3, 11)) is None


@pytest.mark.parametrize("path", sorted((REPO / "tests").glob("*.py")) +
                         sorted((REPO / "examples").rglob("*.py")), ids=lambda p: p.name)
def test_tests_and_examples_run_on_every_binding(path: Path):
    """The suite and the examples reach Qt through qtpy, so ``QT_API`` picks their binding."""
    if path.name == "test_binding_door.py":
        return
    text = path.read_text()
    pinned = [word for word in ("from PyQt5", "import PyQt5", "from PyQt6", "from PySide6",
                                "pyqtSignal", "pyqtSlot", "pyqtProperty", ".exec_()")
              if word in text]
    assert pinned == [], f"{path.name} is tied to one binding: {pinned}"
