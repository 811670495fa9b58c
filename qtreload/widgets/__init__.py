"""Developer UI for qtreload: a "Reload modules" dialog and menu, and status-bar notices.

Everything here only *reads* the reloader's state (it never runs the stale
check itself, so opening the dialog is never a reload trigger) and learns
about reloads through ``reloader.listeners``. Reports may arrive in any thread;
they reach widgets through a queued signal. No slot here lets an exception
reach Qt (PyQt aborts on those): errors are logged on the "qtreload" logger.

One module per concept: ``_relay`` (reports to the GUI thread, guarded slots),
``_states`` (what the dialog shows for each module), ``_describe`` (one line
per report), ``_toggles`` (the switches), ``_dialog``, ``_menu``, ``_notifier``.
"""
from __future__ import annotations

from ._describe import describe
from ._dialog import ReloadDialog
from ._menu import install_menu
from ._notifier import enable_notifications
from ._toggles import Toggle, default_toggles

__all__ = ["ReloadDialog", "Toggle", "default_toggles", "describe", "enable_notifications",
           "install_menu"]
