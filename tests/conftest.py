"""Shared fixtures: offscreen Qt and a per-test scratch package on ``sys.path``."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
