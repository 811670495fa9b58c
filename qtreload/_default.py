"""The process-wide reloader that the public functions and adapters act on."""
from ._engine import Reloader, disabled_by_environment

reloader = Reloader()

if not disabled_by_environment():
    reloader.enable()
