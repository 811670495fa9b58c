"""Hot-swapping Python subclasses of Qt classes: what Qt sees after an edit (binding facts F8)."""
from __future__ import annotations

import logging

from qtpy.QtCore import Q_RETURN_ARG, QMetaObject, Qt

import qtreload

WIDGET = """
    from qtpy.QtCore import Property, Slot
    from qtpy.QtWidgets import QWidget

    class Gauge(QWidget):
        @Slot(result=str)
        def describe(self):
            return "slot v1"

        @Property(int)
        def level(self):
            return 1
"""


def test_existing_slot_and_property_run_new_code_as_qt_sees_them(qtbot, project):
    project.write("gauge", WIDGET)
    gauge = project.load("gauge").Gauge()
    qtbot.addWidget(gauge)
    assert QMetaObject.invokeMethod(gauge, "describe", Qt.DirectConnection,
                                    Q_RETURN_ARG(str)) == "slot v1"
    assert gauge.property("level") == 1
    project.edit("gauge", '"slot v1"', '"slot v2"')
    project.edit("gauge", "return 1", "return 2")
    report = qtreload.check()
    assert report.reloaded == (project.name("gauge"),) and not report.warnings
    # Replacing the functions in the class dict would leave Qt calling the old ones.
    assert QMetaObject.invokeMethod(gauge, "describe", Qt.DirectConnection,
                                    Q_RETURN_ARG(str)) == "slot v2"
    assert gauge.property("level") == 2
    fresh = project.load("gauge").Gauge()
    qtbot.addWidget(fresh)
    assert fresh.property("level") == 2


def test_new_slot_is_restart_needed_and_the_live_class_takes_the_rest(qtbot, project,
                                                                      caplog):
    project.write("gauge", WIDGET)
    module = project.load("gauge")
    old_class, gauge = module.Gauge, module.Gauge()
    qtbot.addWidget(gauge)
    project.edit("gauge", "    @Property(int)",
                 "    @Slot()\n    def extra(self):\n        return 'extra'\n\n"
                 "    @Property(int)")
    project.edit("gauge", '"slot v1"', '"slot v2"')
    with caplog.at_level(logging.WARNING, logger="qtreload"):
        report = qtreload.check()
    assert [w.restart_needed for w in report.warnings] == [True]
    assert "slot extra()" in report.warnings[0].reason
    assert "restart needed" in caplog.text
    # The live class stays, and takes the method code: the existing slot runs v2...
    assert module.Gauge is old_class and type(gauge) is old_class
    assert QMetaObject.invokeMethod(gauge, "describe", Qt.DirectConnection,
                                    Q_RETURN_ARG(str)) == "slot v2"
    # ...and the new method is there for Python; Qt's meta-object waits for the restart.
    assert gauge.extra() == "extra"
    fresh = module.Gauge()
    qtbot.addWidget(fresh)
    assert fresh.metaObject().indexOfSlot("extra()") < 0
    assert gauge.property("level") == 1
    # Another save: the same restart-needed change is not reported again.
    project.edit("gauge", '"slot v2"', '"slot v3"')
    assert qtreload.check().warnings == ()
    assert QMetaObject.invokeMethod(gauge, "describe", Qt.DirectConnection,
                                    Q_RETURN_ARG(str)) == "slot v3"


def test_new_virtual_override_warns_about_the_sip_cache(qtbot, project):
    project.write("gauge", WIDGET)
    gauge = project.load("gauge").Gauge()
    qtbot.addWidget(gauge)
    project.edit("gauge", "    @Property(int)",
                 "    def sizeHint(self):\n        return super().sizeHint()\n\n"
                 "    @Property(int)")
    report = qtreload.check()
    assert report.reloaded
    (warning,) = report.warnings
    assert "sizeHint" in warning.reason and "already called it" in warning.reason
    assert not warning.restart_needed


def test_removed_slot_is_restart_needed_and_the_live_widget_keeps_it(qtbot, project):
    """Qt's meta-object still points at the slot's function: it must stay alive (F8)."""
    project.write("gauge", WIDGET)
    gauge = project.load("gauge").Gauge()
    qtbot.addWidget(gauge)
    project.edit("gauge", """    @Slot(result=str)
    def describe(self):
        return "slot v1"
""", "")
    report = qtreload.check()
    assert [w.restart_needed for w in report.warnings] == [True]
    import gc

    gc.collect()
    assert QMetaObject.invokeMethod(gauge, "describe", Qt.DirectConnection,
                                    Q_RETURN_ARG(str)) == "slot v1"
