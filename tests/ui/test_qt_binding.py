"""The installed Qt binding is one the app can run on for hours."""

from __future__ import annotations

import sys


def test_qt_calls_keep_their_reference_to_none(qtbot):
    """Some Qt bindings drop a reference to None on every call of a method that
    returns nothing; where None is reference-counted (Python 3.11) the app then
    aborts after enough clicks and paints. The installed binding must not."""
    from PySide6.QtWidgets import QWidget

    w = QWidget()
    qtbot.addWidget(w)
    before = sys.getrefcount(None)
    for _ in range(500):
        w.setWindowTitle("x")
        w.update()
    assert sys.getrefcount(None) - before > -50
