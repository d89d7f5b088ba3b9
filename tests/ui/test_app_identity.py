"""The running app names itself the way the packaged desktop entry does."""

from __future__ import annotations

from pathlib import Path

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def test_desktop_file_name_matches_the_packaged_entry(qapp):
    from restore_app.ui.app import DESKTOP_ID, application

    app = application()
    assert app.desktopFileName() == DESKTOP_ID
    entries = [p.name.removesuffix(".desktop") for p in PACKAGING.glob("*.desktop")]
    assert entries == [DESKTOP_ID]
    metainfo = (PACKAGING / f"{DESKTOP_ID}.metainfo.xml").read_text("utf-8")
    assert f'<launchable type="desktop-id">{DESKTOP_ID}.desktop</launchable>' in (
        metainfo
    )
