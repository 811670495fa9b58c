"""The one door to the Qt binding: nothing else in qtreload imports PyQt5, PyQt6, PySide6 or qtpy.

Which binding: ``QT_API`` (``pyqt5``, ``pyqt6`` or ``pyside6``, the values
pytest-qt and qtpy use), else the binding the app has already imported, else
the first one installed, in that order. The names below come from qtpy, which
bridges the API differences (``Signal``/``Slot``/``Property``, unscoped enums
on PyQt6, ``exec_``, ``QAction`` in QtGui); the differences qtpy leaves open
(deleted objects, bound-signal and wrapper types, slot metadata) are bridged
here. The facts behind each one are in ``docs/binding-facts.md``.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

#: ``QT_API`` value -> the binding's top-level package, in the order tried.
BINDINGS: dict[str, str] = {"pyqt5": "PyQt5", "pyqt6": "PyQt6", "pyside6": "PySide6"}
INSTALL_HINT = ("pip install 'qtreload-live[pyqt5]' (or [pyqt6], or [pyside6]), "
                "or install the binding yourself")


def is_installed(package: str) -> bool:
    """Can the top-level package ``package`` be imported (without importing it)?"""
    return importlib.util.find_spec(package) is not None


def select_api(environ: Mapping[str, str] = os.environ,
               loaded: Mapping[str, object] = sys.modules,
               installed: Callable[[str], bool] = is_installed) -> str:
    """The ``QT_API`` name of the binding to use; ImportError naming the fix if there is none."""
    return selection(environ, loaded, installed)[0]


def selection(environ: Mapping[str, str] = os.environ,
              loaded: Mapping[str, object] = sys.modules,
              installed: Callable[[str], bool] = is_installed) -> tuple[str, str]:
    """:func:`select_api`, and what chose it: ``"QT_API"``, ``"imported"`` or ``"installed"``."""
    wanted = environ.get("QT_API", "").strip().lower()
    if wanted:
        if wanted not in BINDINGS:
            raise ImportError(f"qtreload: QT_API={wanted!r} is not a supported binding; "
                              f"use one of {', '.join(BINDINGS)} (PySide2 is not supported)")
        return wanted, "QT_API"
    for api, package in BINDINGS.items():
        if package in loaded:
            return api, "imported"
    for api, package in BINDINGS.items():
        if installed(package):
            return api, "installed"
    raise ImportError(f"qtreload: no Qt binding is installed: {INSTALL_HINT}")


@contextlib.contextmanager
def _qtpy_told(api: str) -> Iterator[None]:
    """Make qtpy pick ``api``, even if the app has already imported another binding."""
    saved = {name: os.environ.get(name) for name in ("QT_API", "FORCE_QT_API")}
    os.environ["QT_API"] = api
    os.environ["FORCE_QT_API"] = "1"
    try:
        yield
    finally:
        if saved["FORCE_QT_API"] is None:
            del os.environ["FORCE_QT_API"]
        else:
            os.environ["FORCE_QT_API"] = saved["FORCE_QT_API"]
        # qtpy leaves QT_API set to its choice, so child processes use the same binding.


#: The binding's ``QT_API`` name, and what chose it (see :func:`selection`).
API, CHOSEN_BY = selection()
BINDING = BINDINGS[API]
if not is_installed(BINDING):
    raise ImportError(f"qtreload: QT_API={API} but {BINDING} is not installed: {INSTALL_HINT}")
with _qtpy_told(API):
    import qtpy
if qtpy.API_NAME.lower() != API:
    raise ImportError(f"qtreload: the app's qtpy already uses {qtpy.API_NAME}, not {BINDING}: "
                      f"set QT_API={qtpy.API_NAME.lower()}")

from qtpy import QtCore  # noqa: E402

PYQT = API.startswith("pyqt")
PYSIDE = not PYQT
QT_VERSION: str = qtpy.QT_VERSION or ""
BINDING_VERSION: str = (qtpy.PYQT_VERSION if PYQT else qtpy.PYSIDE_VERSION) or ""

QCoreApplication = QtCore.QCoreApplication
QEvent = QtCore.QEvent
QMetaMethod = QtCore.QMetaMethod
QMetaObject = QtCore.QMetaObject
QObject = QtCore.QObject
QThread = QtCore.QThread
QTimer = QtCore.QTimer
Qt = QtCore.Qt
Signal = QtCore.Signal
Slot = QtCore.Slot
Property = QtCore.Property
#: The type of a signal bound to an instance (``obj.clicked``).
BoundSignal = QtCore.SignalInstance  # qtpy's name for PyQt's pyqtBoundSignal too
#: The metaclass of every class the binding wraps (sip's or shiboken's).
wrappertype: type = type(QObject)
#: Does the binding count a slot's positional parameters once, at connect time,
#: instead of passing every argument (docs/binding-facts.md, F2)?
COUNTS_SLOT_PARAMETERS = PYSIDE
#: The function attribute where the binding's slot decorator keeps the slot signature.
SLOT_METADATA = "__pyqtSignature__" if PYQT else "_slots"

if PYQT:
    _sip = importlib.import_module(f"{BINDING}.sip")

    def is_deleted(obj: QObject) -> bool:
        """Has the C++ side of ``obj`` been deleted?"""
        return _sip.isdeleted(obj)
else:
    _shiboken = importlib.import_module("shiboken6")

    def is_deleted(obj: QObject) -> bool:
        """Has the C++ side of ``obj`` been deleted?"""
        return not _shiboken.isValid(obj)


#: Where other Qt names are found on first use (so ``import qtreload`` loads only QtCore).
_LAZY_MODULES = ("QtWidgets", "QtGui", "QtTest")

if TYPE_CHECKING:  # what ``__getattr__`` below hands out, for type checkers (mypy: PyQt5)
    from qtpy.QtGui import QAction as QAction
    from qtpy.QtGui import QColor as QColor
    from qtpy.QtGui import QFontMetrics as QFontMetrics
    from qtpy.QtGui import QGuiApplication as QGuiApplication
    from qtpy.QtTest import QTest as QTest
    from qtpy.QtWidgets import QAbstractItemView as QAbstractItemView
    from qtpy.QtWidgets import QApplication as QApplication
    from qtpy.QtWidgets import QCheckBox as QCheckBox
    from qtpy.QtWidgets import QDialog as QDialog
    from qtpy.QtWidgets import QDialogButtonBox as QDialogButtonBox
    from qtpy.QtWidgets import QHBoxLayout as QHBoxLayout
    from qtpy.QtWidgets import QHeaderView as QHeaderView
    from qtpy.QtWidgets import QLabel as QLabel
    from qtpy.QtWidgets import QMainWindow as QMainWindow
    from qtpy.QtWidgets import QMenu as QMenu
    from qtpy.QtWidgets import QMenuBar as QMenuBar
    from qtpy.QtWidgets import QPlainTextEdit as QPlainTextEdit
    from qtpy.QtWidgets import QPushButton as QPushButton
    from qtpy.QtWidgets import QSplitter as QSplitter
    from qtpy.QtWidgets import QStatusBar as QStatusBar
    from qtpy.QtWidgets import QTreeWidget as QTreeWidget
    from qtpy.QtWidgets import QTreeWidgetItem as QTreeWidgetItem
    from qtpy.QtWidgets import QVBoxLayout as QVBoxLayout
    from qtpy.QtWidgets import QWidget as QWidget


def __getattr__(name: str) -> object:
    """``from ._compat import QDialog``: any class of the binding's GUI and test modules."""
    if name.startswith("Q"):
        for module in _LAZY_MODULES:
            value = getattr(importlib.import_module(f"qtpy.{module}"), name, None)
            if value is not None:
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def disconnect_once(signal: BoundSignal, slot: Callable[..., Any]) -> bool:
    """Remove a connection from ``signal`` to ``slot``; False if there is none.

    PyQt removes one connection or raises TypeError; PySide6 removes every
    duplicate at once, or warns and returns False (docs/binding-facts.md, F6).
    """
    if PYQT:
        try:
            signal.disconnect(slot)
        except TypeError:
            return False
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return bool(signal.disconnect(slot))


def is_binding_class(cls: type) -> bool:
    """Is ``cls`` one of the binding's own classes (not a Python subclass)?"""
    return cls.__module__.split(".")[0] == BINDING


def known_defect(api: str, version: str, python: tuple[int, ...]) -> str | None:
    """A warning for a binding release known to crash apps, else None."""
    if api == "pyside6" and version == "6.12.0" and python < (3, 12):
        return ("qtreload: PySide6 6.12.0 on Python < 3.12 drops a reference to True on "
                "every emit() from Python and aborts the app after a few hundred emits "
                "(docs/binding-facts.md, F9); use PySide6 6.11.3 or Python 3.12+")
    return None


_DEFECT = known_defect(API, BINDING_VERSION, sys.version_info[:2])
if _DEFECT:
    warnings.warn(_DEFECT, RuntimeWarning, stacklevel=2)

__all__ = [
    "API", "BINDING", "BINDINGS", "BINDING_VERSION", "COUNTS_SLOT_PARAMETERS", "INSTALL_HINT",
    "PYQT", "PYSIDE",
    "QT_VERSION", "SLOT_METADATA", "BoundSignal", "Property", "QCoreApplication", "QEvent",
    "QMetaMethod", "QMetaObject", "QObject", "QThread", "QTimer", "Qt", "Signal", "Slot",
    "disconnect_once", "is_binding_class", "is_deleted", "known_defect", "select_api",
    "wrappertype",
]
