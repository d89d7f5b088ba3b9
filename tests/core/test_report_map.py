"""The treatment report's damage map: every layer in a colour of its own, drawn
so that the damage it documents stays visible."""

from __future__ import annotations

import numpy as np

from restore_app.core.damage import DAMAGE_KINDS, PROTECT_RGB
from restore_app.core.report import OPERATION_COLOURS, _overlay


def test_every_layer_of_the_map_has_a_colour_of_its_own() -> None:
    colours = [k.colour for k in DAMAGE_KINDS] + list(OPERATION_COLOURS)
    colours.append(PROTECT_RGB)
    assert len(set(colours)) == len(colours)
    pairs = [
        np.linalg.norm(np.subtract(a, b, dtype=float))
        for i, a in enumerate(colours)
        for b in colours[i + 1 :]
    ]
    assert min(pairs) > 40


def test_the_map_shows_the_damage_under_its_layers() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    crack = np.zeros((120, 160), bool)
    crack[20:60, 20:80] = True
    filled = np.zeros((120, 160), bool)
    filled[70:110, 90:150] = True
    keep = np.zeros((120, 160), bool)
    keep[5:15, 100:150] = True
    out = _overlay(base, [("damage-crack", crack), ("01-inpaint", filled)], [keep])
    # A kind's layer is a translucent fill: the picture under it still shows.
    under = out[25:55, 25:75].astype(float).reshape(-1, 3)
    picture = base[25:55, 25:75].astype(float).reshape(-1, 3)
    assert np.corrcoef(under[:, 0], picture[:, 0])[0, 1] > 0.9
    # An operation's mask is an outline in its colour; inside, the picture.
    assert tuple(out[68, 120]) == OPERATION_COLOURS[1]
    assert (
        np.corrcoef(
            out[80:100, 100:140, 1].ravel().astype(float),
            base[80:100, 100:140, 1].ravel().astype(float),
        )[0, 1]
        > 0.99
    )
    # The protected region: an outline of its own colour.
    assert tuple(out[5, 120]) == PROTECT_RGB
