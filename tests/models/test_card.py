"""Model cards: one reader that checks, one writer that loses nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from restore_app.core.errors import ModelError
from restore_app.core.tasks import Task
from restore_app.models.card import ModelCard
from restore_app.models.registry import NOT_CARDS, list_restorers
from restore_app.resources import models_dir

SHIPPED = sorted(p for p in models_dir().glob("*.json") if p.name not in NOT_CARDS)


def test_every_shipped_card_reads_and_rewrites_to_the_same_bytes() -> None:
    assert len(SHIPPED) == 6
    for path in SHIPPED:
        card = ModelCard.read(path)
        # Each card's weights lie beside it under its name; a card that only
        # finishes another model's output (the grain fill) shares its weights.
        own = path.with_suffix(".safetensors")
        assert card.weights_path == own or (card.grain and not own.exists())
        assert card.weights_path.is_file()
        assert card.other == {}, f"{path.name}: keys the card type does not know"
        assert card.encode() == path.read_bytes(), path.name


def test_the_registry_hands_out_the_card_it_read() -> None:
    learned = [i for i in list_restorers() if i.kind == "learned"]
    assert {i.id for i in learned} >= {"inpaint.ffc", "denoise.nafnet"}
    for info in learned:
        assert info.card is not None and info.card.path in SHIPPED
        assert (info.id, info.task, info.name) == (
            info.card.id,
            info.card.task,
            info.card.name,
        )
        assert info.score == info.card.score
    assert all(i.card is None for i in list_restorers() if i.kind == "classical")


def _minimal(**more) -> dict:
    return {
        "id": "user.x",
        "task": "denoise",
        "name": "X",
        "weights": "x.safetensors",
        **more,
    }


def test_unknown_keys_survive_a_rewrite_and_an_update(tmp_path: Path) -> None:
    data = _minimal(
        future_field={"nested": [1, 2.5, "ü"]},
        path="not the card's own path",
        other="not the card's other keys",
        score=None,
    )
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    card = ModelCard.read(path)
    assert card.task is Task.DENOISE
    assert card.path == path and card.weights_path == tmp_path / "x.safetensors"
    assert set(card.other) == {"future_field", "path", "other"}

    updated = dataclasses.replace(card, public={"set": 1.0}).write()
    again = json.loads(path.read_text(encoding="utf-8"))
    defaults = {"description": "", "architecture": "spandrel"}
    assert again == {**data, **defaults, "public": {"set": 1.0}}
    assert ModelCard.read(path) == updated
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and '"ü"' in text and text.startswith('{\n  "id"')


def test_a_card_made_in_code_is_checked_and_written_as_json(tmp_path: Path) -> None:
    card = ModelCard(
        id="detect.x",
        task="detect",
        name="X",
        weights="x.safetensors",
        kinds=["dust", "crack"],
    )
    assert card.task is Task.DETECT and card.kinds == ("dust", "crack")
    with pytest.raises(ModelError, match="never read or written"):
        _ = card.weights_path
    with pytest.raises(ModelError, match="no file"):
        card.write()
    written = card.write(tmp_path / "x.json")
    assert written.weights_path == tmp_path / "x.safetensors"
    assert json.loads((tmp_path / "x.json").read_text()) == {
        "id": "detect.x",
        "task": "detect",
        "name": "X",
        "description": "",
        "architecture": "spandrel",
        "kinds": ["dust", "crack"],
        "weights": "x.safetensors",
        "score": None,
    }
    with pytest.raises(ModelError, match="field 'reach' must be a whole number"):
        dataclasses.replace(card, reach="32")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unreadable model card"),
        ("{not json", "unreadable model card"),
        ("[1, 2]", "a model card is a JSON object"),
        (json.dumps(_minimal(id=None)), "field 'id' must be non-empty text"),
        (json.dumps({"id": "a", "task": "inpaint", "name": "A"}), "lacks 'weights'"),
        (json.dumps(_minimal(task="upscale")), "unknown task 'upscale'"),
        (json.dumps(_minimal(reach=3.5)), "field 'reach' must be a whole number"),
        (json.dumps(_minimal(half="yes")), "field 'half' must be true or false"),
        (json.dumps(_minimal(kinds="dust")), "field 'kinds' must be a list of text"),
        (json.dumps(_minimal(score="high")), "field 'score' must be a number"),
        (json.dumps(_minimal(config=[1])), "field 'config' must be a JSON object"),
        (
            json.dumps(_minimal(noise_strength=[5, 2])),
            "field 'noise_strength' must be two increasing numbers",
        ),
        (
            json.dumps(_minimal(noise_strength=["a", 2])),
            "field 'noise_strength' must be a number",
        ),
    ],
)
def test_a_malformed_card_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        ModelCard.read(path)
    error = str(caught.value)
    assert error.startswith("broken.json: ") and message in error
    assert "\n" not in error


def test_a_missing_card_or_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing.json: unreadable model card"):
        ModelCard.read(tmp_path / "missing.json")
    card = ModelCard.from_json(_minimal())
    with pytest.raises(ModelError) as caught:
        card.write(tmp_path / "no such folder" / "x.json")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "no such folder").exists()
