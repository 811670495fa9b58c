"""Everything qtreload takes from the Qt binding, in one place (PyQt5)."""
from PyQt5 import sip
from PyQt5.QtCore import (
    QCoreApplication,
    QEvent,
    QMetaMethod,
    QObject,
    Qt,
    QTimer,
    pyqtBoundSignal,
    pyqtProperty,
    pyqtSignal,
    pyqtSlot,
)

__all__ = [
    "QCoreApplication", "QEvent", "QMetaMethod", "QObject", "QTimer", "Qt", "is_deleted",
    "pyqtBoundSignal", "pyqtProperty", "pyqtSignal", "pyqtSlot", "sip", "wrappertype",
]

wrappertype = sip.wrappertype


def is_deleted(obj: QObject) -> bool:
    """Has the C++ side of ``obj`` been deleted?"""
    return sip.isdeleted(obj)
