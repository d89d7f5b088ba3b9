"""Each task's default restorer is stated by hand; benchmarks only write figures.

The benchmarks' card writers run here on a copy of the built-in models folder
(cards copied, weights linked), with made-up results.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from restore_app import resources
from restore_app.core.tasks import Task
from restore_app.models import registry
from restore_app.models.card import ModelCard
from restore_app.models.registry import (
    DEFAULTS_FILE,
    SCORES_FILE,
    default_restorer_id,
    list_restorers,
)

ROOT = Path(__file__).resolve().parents[2]
STATED = {
    "inpaint": "inpaint.ffc-grain",
    "denoise": "denoise.nafnet",
    "deblur": "deblur.nafnet",
    "color": "color.curves",
    "detect": "detect.unet",
}
FIRST_CLASSICAL = {
    "inpaint": "inpaint.telea",
    "denoise": "denoise.nlm",
    "deblur": "deblur.wiener",
    # colour has no classical restorer: its one built-in model stands in
    "color": "color.curves",
    "detect": "detect.tophat",
}


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch) -> Path:
    """A writable copy of the built-in models folder, used as the built-in one."""
    folder = tmp_path / "models"
    folder.mkdir()
    for path in resources.models_dir().iterdir():
        if path.suffix == ".json":
            shutil.copyfile(path, folder / path.name)
        else:
            (folder / path.name).symlink_to(path)
    monkeypatch.setattr(resources, "models_dir", lambda: folder)
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(tmp_path / "no user models"))
    return folder


def _defaults() -> dict[str, str]:
    return {str(task): default_restorer_id(task) for task in Task}


def test_the_shipped_defaults_are_stated() -> None:
    path = resources.models_dir() / DEFAULTS_FILE
    assert json.loads(path.read_text(encoding="utf-8")) == STATED
    assert _defaults() == STATED


def test_scores_never_choose_the_default(builtin: Path) -> None:
    scores = {rid: 99.0 for rid in FIRST_CLASSICAL.values() if rid != "color.curves"}
    (builtin / SCORES_FILE).write_text(json.dumps(scores))
    for info in list_restorers():
        if info.card is not None:
            replace(info.card, score=1.0).write()
    assert all((i.score or 0) < 99 for i in list_restorers() if i.kind == "learned"), (
        "the cards were rewritten"
    )
    assert _defaults() == STATED


def test_without_a_stated_default_the_first_classical_one_stands_in(builtin: Path):
    stated = {**STATED, "denoise": "user.gone"}
    del stated["deblur"]
    (builtin / DEFAULTS_FILE).write_text(json.dumps(stated))
    assert _defaults() == {
        **STATED,
        "denoise": FIRST_CLASSICAL["denoise"],
        "deblur": FIRST_CLASSICAL["deblur"],
    }
    (builtin / DEFAULTS_FILE).unlink()
    assert _defaults() == FIRST_CLASSICAL


def _benchmark(name: str):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _cards(folder: Path) -> dict[str, dict]:
    return {
        p.name: ModelCard.read(p).to_json()
        for p in folder.glob("*.json")
        if p.name not in registry.NOT_CARDS
    }


def test_benchmarks_write_figures_into_cards_and_never_the_defaults(builtin: Path):
    before = _cards(builtin)
    defaults = (builtin / DEFAULTS_FILE).read_bytes()
    # benchmarks/quality.py measures the restorers (not the detectors).
    classical_wins = {
        FIRST_CLASSICAL[t]: 99.0 for t in ("inpaint", "denoise", "deblur")
    }
    learned = {STATED[t]: 1.0 for t in ("inpaint", "denoise", "deblur")}
    learned["inpaint.ffc"] = 1.0  # the smooth fill, still listed beside the default

    quality = _benchmark("quality")
    cases = {
        "inpaint": [{"psnr": {"inpaint.ffc": 1.0}, "ssim": {"inpaint.ffc": 0.5}}],
        "denoise": [{"noise": "σ15", "input": 2.0, "blind": {"denoise.nafnet": 1.0}}],
        "deblur": [{"blur": "gauss", "input": 2.0, "blind": {"deblur.nafnet": 1.0}}],
    }
    table = {
        "blind": {**classical_wins, **learned},
        **{task: {"cases": c} for task, c in cases.items()},
    }
    quality.update_cards(table, {"denoise: a target": (True, "+1 dB")})

    public = _benchmark("public")
    public.update_cards({"inpaint": {"inpaint.ffc": {"psnr": 1.0, "texture": 0.1}}})

    detect = _benchmark("detect")
    ids = ("detect.unet", "detect.tophat")
    detect._update_cards(
        list_restorers("detect"),
        {d: {"f1": 0.1} for d in ids},
        {d: {} for d in ids},
        {d: {} for d in ids},
    )

    assert (builtin / DEFAULTS_FILE).read_bytes() == defaults
    assert _defaults() == STATED
    scores = json.loads((builtin / SCORES_FILE).read_text())
    assert scores == classical_wins
    after = _cards(builtin)
    written = {
        "inpaint-ffc.json": {"score", "validation", "public"},
        "denoise-nafnet.json": {"score", "validation"},
        "deblur-nafnet.json": {"score", "validation"},
        "detect-unet.json": {"benchmark"},
    }
    for name, fields in written.items():
        changed = {k for k in after[name] if after[name][k] != before[name].get(k)}
        assert changed == fields, name
        assert list(after[name]) == list(before[name]), "keys keep their order"
    assert after["inpaint-ffc.json"]["public"]["kodak24_free_form"]["psnr"] == 1.0
    assert after["denoise-nafnet.json"]["validation"]["targets"] == {
        "denoise: a target": {"met": True, "margin": "+1 dB"}
    }


def test_a_detector_asked_for_as_a_restorer_is_named_as_one() -> None:
    from restore_app.core.errors import ModelError
    from restore_app.models.registry import get_restorer

    for rid in ("detect.tophat", "detect.unet"):
        with pytest.raises(ModelError, match="is a damage detector, not a restorer"):
            get_restorer(rid)
