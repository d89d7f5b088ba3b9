from __future__ import annotations

import json


def test_models_lists_one_line_per_restorer(cli) -> None:
    run = cli("models")
    assert run.code == 0, run.err
    rows = [line.split() for line in run.out.splitlines()]
    by_id = {row[0]: row for row in rows}
    assert by_id["inpaint.telea"][1:] == ["inpaint", "classical", "built-in"]
    assert by_id["denoise.nlm"][1:] == ["denoise", "classical", "built-in"]
    assert by_id["deblur.wiener"][1:] == ["deblur", "classical", "built-in"]
    assert all(len(row) == 4 for row in rows)


def test_models_json_and_list_subcommand_agree(cli) -> None:
    plain = cli("models", "--json")
    listed = cli("models", "list", "--json")
    assert plain.code == listed.code == 0
    data = json.loads(plain.out)
    assert data == json.loads(listed.out)
    assert {"id", "task", "kind", "source"} <= set(data[0])
    assert {d["task"] for d in data} == {
        "inpaint",
        "denoise",
        "deblur",
        "color",
        "detect",
    }
