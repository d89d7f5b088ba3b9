"""Preferences as data: read from a store, written back field by field."""

from __future__ import annotations

import os

import pytest

from restore_app.app.preferences import (
    DEFAULT_EXPORT_SUFFIX,
    DEFAULT_TILE_SIZE,
    MemoryStore,
    Preferences,
    apply_memory_budget,
    known_devices,
    valid_suffix,
)


def test_an_empty_store_gives_the_defaults():
    p = Preferences.read(MemoryStore())
    assert p == Preferences()
    assert (p.device, p.tile_size, p.export_suffix) == (
        "auto",
        DEFAULT_TILE_SIZE,
        DEFAULT_EXPORT_SUFFIX,
    )
    assert p.history_budget_bytes == 1024**3


def test_written_preferences_read_back_the_same():
    p = Preferences(
        device="cuda:1",
        tile_size=1024,
        memory_budget_gb=3,
        history_budget_gb=0.5,
        operator="A. Conservator",
        output_dir="/exports",
        export_suffix="v2.final",
        models={"denoise": "denoise.nlm"},
    )
    store = MemoryStore()
    p.write(store)
    assert Preferences.read(store) == p
    assert "models/inpaint" not in store and store["models/denoise"] == "denoise.nlm"
    assert known_devices(p.device)[-1] == "cuda:1"  # typed by hand, still offered


def test_what_cannot_be_read_keeps_its_default():
    store = MemoryStore(
        {
            "tile_size": "huge",
            "history_budget_gb": "-1",
            "export_suffix": "../escape",
            "memory_budget_gb": None,
        }
    )
    p = Preferences.read(store)
    assert p.tile_size == DEFAULT_TILE_SIZE
    assert p.history_budget_gb == Preferences().history_budget_gb
    assert p.export_suffix == DEFAULT_EXPORT_SUFFIX
    assert p.memory_budget_gb == 0
    assert Preferences.read(MemoryStore({"tile_size": "99999"})).tile_size == 4096


@pytest.mark.parametrize(
    ("text", "kept"),
    [("clean", "clean"), (".v2.final.", "v2.final"), ("a/b", None), ("", None)],
)
def test_export_suffix(text, kept):
    assert valid_suffix(text) == (kept or DEFAULT_EXPORT_SUFFIX)


def test_memory_budget_reaches_the_reader_unless_the_command_line_set_one(
    monkeypatch,
):
    from restore_app.core.image import memory_budget

    monkeypatch.delenv("RESTORE_MEMORY_BUDGET", raising=False)
    monkeypatch.delenv("RESTORE_MEMORY_BUDGET_FROM", raising=False)
    default = memory_budget()
    apply_memory_budget(Preferences(memory_budget_gb=3))
    assert memory_budget() == 3 * 1024**3
    apply_memory_budget(Preferences(memory_budget_gb=0))
    assert memory_budget() == default
    monkeypatch.setenv("RESTORE_MEMORY_BUDGET", "1G")
    monkeypatch.setenv("RESTORE_MEMORY_BUDGET_FROM", "command line")
    apply_memory_budget(Preferences(memory_budget_gb=5))
    assert os.environ["RESTORE_MEMORY_BUDGET"] == "1G"
