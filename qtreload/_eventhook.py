"""The event hook: a stale check before user input reaches any widget.

``qtreload.connect`` and ``@autoreload_slot`` check before the handlers they
wrap. A handler the app connected with plain PyQt (``clicked.connect(f)``)
has no such check; it still runs new code after a reload (functions and
classes are swapped in place), but nothing triggers the reload. The event
hook is that trigger: an event filter on the application, which Qt calls
before it delivers any event to any object of the main thread, runs the
stale check before user input: mouse presses, releases, double clicks and
moves, hover and enter/leave, key presses, shortcuts, wheel events and
drag-and-drop (and, as an option, timer events). So whatever the click, the
hover or the drop is about to run, it runs the code now on disk. The filter
costs the same per event whatever the number of event types (one ``frozenset``
lookup), and a check is O(1) while nothing changed. It follows the "before
events and function calls" switch of :mod:`._triggers`.

After a reload that changed code the visible windows are repainted once
(:class:`._repaint.Repainter`), so an edited ``paintEvent`` or ``QGraphicsItem.paint``
shows at once instead of at the next repaint Qt happens to do.

When to install it: the filter needs the application object, which the app
creates itself. PyQt5 has no safe creation callback (``QtCore.qAddPreRoutine``
segfaults as the application is constructed, even with an empty routine, in
PyQt5 5.15.11), and tracing every call (``sys.setprofile``) costs every Python
call of the app. So :func:`install` wraps the ``__init__`` of
``QCoreApplication``, ``QGuiApplication`` and ``QApplication`` (in PyQt they
share the first one; in PySide each has its own, and an app subclass reaches
only its base's) until the application exists, and installs the filter
right after it is constructed. That covers apps that never call
``app.exec_()`` (a dialog's ``exec_()``, a ``processEvents`` loop, QTest), which
wrapping ``exec_`` would miss. :func:`uninstall` removes the filter and the wrap.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from ._compat import QCoreApplication, QEvent, QObject, is_deleted
from ._default import reloader
from ._repaint import Repainter
from ._triggers import BEFORE_EVENTS, Trigger, switches

log = logging.getLogger("qtreload")

#: User input that may run a handler: the check runs before each of these.
_E = QEvent.Type
INPUT_EVENTS: frozenset[int] = frozenset({
    _E.MouseButtonPress, _E.MouseButtonRelease, _E.MouseButtonDblClick,
    _E.MouseMove, _E.HoverEnter, _E.HoverMove, _E.HoverLeave,
    _E.Enter, _E.Leave, _E.KeyPress, _E.Shortcut, _E.Wheel,
    _E.DragEnter, _E.DragMove, _E.DragLeave, _E.Drop,
})
#: ``QTimer`` timeouts (not zero-delay single shots, which Qt posts as calls).
TIMER_EVENTS: frozenset[int] = frozenset({_E.Timer})


class EventHook(QObject):
    """An application event filter that runs ``check`` before the chosen event types.

    It never filters an event out and never lets an exception reach Qt (an
    exception escaping a virtual aborts a PyQt5 app with the default
    excepthook): a failing check is logged and the event goes on.
    ``enabled = False`` switches it off without uninstalling it.
    """

    def __init__(self, check: Callable[[], Any] | None = None,
                 events: Iterable[int] = INPUT_EVENTS) -> None:
        super().__init__()
        self.check = reloader.check if check is None else check
        self.events = frozenset(events)
        self.enabled = switches.before_events

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if self.enabled and event is not None and event.type() in self.events:
            try:
                self.check()
            except Exception:
                log.exception("qtreload: the stale check before a %s event failed (ignored)",
                              _event_name(event.type()))
        return False


_hook: EventHook | None = None
_app: QCoreApplication | None = None
_repainter: Repainter | None = None
_settings: tuple[Callable[[], Any] | None, frozenset[int]] = (None, INPUT_EVENTS)


def install(timers: bool = False, check: Callable[[], Any] | None = None) -> None:
    """Check before user input (and timer events if ``timers``), in the app that exists or comes.

    Installs the filter on the running application, or on the application
    as soon as it is constructed. Calling it again replaces the previous hook.
    ``check`` defaults to the stale check of the process-wide reloader.
    """
    global _settings
    uninstall()
    _settings = (check, INPUT_EVENTS | TIMER_EVENTS if timers else INPUT_EVENTS)
    app = QCoreApplication.instance()
    if app is not None:
        _attach(app)
    else:
        _wrap()


def _wrap() -> None:
    for cls in _app_classes():
        _wrapped[cls] = cls.__dict__.get("__init__")
        cls.__init__ = _init_then_attach  # type: ignore[misc]


def _app_classes() -> tuple[type, ...]:
    from ._compat import QApplication, QGuiApplication

    return (QCoreApplication, QGuiApplication, QApplication)


# The application classes whose ``__init__`` waits for the app, with their own one.
_wrapped: dict[type, Any] = {}


def _unwrap() -> None:
    for cls, own in _wrapped.items():
        if own is None:
            del cls.__init__  # type: ignore[misc]
        else:
            cls.__init__ = own  # type: ignore[misc]
    _wrapped.clear()


def uninstall() -> None:
    """Remove the event filter (and the pending ``__init__`` wrap, if the app never came)."""
    global _hook, _app, _repainter
    _unwrap()
    if _hook is not None and _app is not None and not is_deleted(_app):
        _app.removeEventFilter(_hook)
    if _repainter in reloader.listeners:
        reloader.listeners.remove(_repainter)
    _hook = _app = _repainter = None


def is_installed() -> bool:
    """Is a hook installed, or waiting for the application to be constructed?"""
    return _hook is not None or QCoreApplication.__dict__.get("__init__") is _init_then_attach


def current() -> EventHook | None:
    """The installed hook, once the application exists and has it."""
    return _hook


def _attach(app: QCoreApplication) -> None:
    global _hook, _app, _repainter
    check, events = _settings
    _hook = EventHook(check, events)
    _app = app
    app.installEventFilter(_hook)
    _repainter = Repainter()
    reloader.listeners.append(_repainter)


def _follow_switch(trigger: Trigger, on: bool) -> None:
    if trigger is BEFORE_EVENTS and _hook is not None:
        _hook.enabled = on


switches.listeners.append(_follow_switch)


def _init_then_attach(app: QCoreApplication, *args: Any, **kwargs: Any) -> None:
    """The application classes' ``__init__`` while waiting for the app: construct, then hook.

    Importing ``PyQt5.QtWidgets`` initialises a placeholder ``QApplication`` (its
    ``qApp``) through this very ``__init__``, and it is not an application (its
    C++ side is deleted at once; see docs/ipython-facts.md, "qApp placeholder"):
    the wrap stays for the real one.
    """
    # The wrap that ran belongs to the class whose own ``__init__`` was reached.
    cls = next((c for c in type(app).__mro__ if c in _wrapped), QCoreApplication)
    _unwrap()
    try:
        cls.__init__(app, *args, **kwargs)  # type: ignore[misc]
    finally:
        waiting = is_deleted(app) or QCoreApplication.instance() is None
        if waiting:
            _wrap()
    if waiting:
        return
    try:
        _attach(app)
    except Exception:
        log.exception("qtreload: could not install the event hook (reloads on events are off)")


def _event_name(kind: int) -> str:
    name = getattr(kind, "name", None)  # Qt 6 bindings: a Python enum
    if isinstance(name, str):
        return name
    for name, value in vars(QEvent).items():
        if value == kind and isinstance(value, QEvent.Type):
            return name
    return str(int(kind))
