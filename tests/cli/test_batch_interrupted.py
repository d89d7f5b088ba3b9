"""A batch that was interrupted or is run twice: outputs without records are
made again, temporaries are cleared, one batch writes a folder at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import REPO, cli_env, load, photo, save_png


def _scans(tmp_path, n=3):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(n):
        save_png(folder / f"s{i}.png", photo(seed=i))
    return folder


def test_an_output_without_its_record_is_made_again(cli, tmp_path) -> None:
    _scans(tmp_path)
    args = ("batch", "scans", "-o", "out", "--op", "denoise", "--model", "denoise.nlm")
    assert cli(*args).code == 0
    out = tmp_path / "out"
    (out / "s1.png.json").unlink()  # killed between the output and its record
    (out / "s2.png").write_bytes(b"half")  # and a stale partial result
    leftover = out / ".s0.abcd1234.part.png"
    leftover.write_bytes(b"x")
    r = cli(*args)
    assert r.code == 0, r.err
    assert "2 done, 1 skipped" in r.out
    for i in range(3):
        rec = json.loads((out / f"s{i}.png.json").read_text())
        assert rec["output"]["size"] == (out / f"s{i}.png").stat().st_size
    assert not leftover.exists()
    assert not (out / ".restore-batch.lock").exists()
    # --verify also compares the SHA-256: a changed byte is made again.
    data = bytearray((out / "s0.png").read_bytes())
    data[-20] ^= 1
    (out / "s0.png").write_bytes(bytes(data))
    assert "0 done, 3 skipped" in cli(*args).out  # same size: taken as done
    assert "1 done, 2 skipped" in cli(*args, "--verify").out


def test_one_batch_at_a_time_into_a_folder(cli, tmp_path) -> None:
    import fcntl

    _scans(tmp_path, 1)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".restore-batch.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = cli("batch", "scans", "-o", "out", "--op", "denoise")
    # A folder held by another batch is a failure to retry, not a usage error.
    assert r.code == 1 and len(r.err_lines) == 1
    assert "another batch is writing" in r.err


def test_a_read_only_output_folder_stops_before_the_first_image(cli, tmp_path):
    if os.geteuid() == 0:
        # root writes anywhere: make the folder unwritable by being a file's child
        _scans(tmp_path, 2)
        (tmp_path / "blocker").write_text("")
        r = cli("batch", "scans", "-o", "blocker/out", "--op", "denoise")
        assert r.code == 2 and len(r.err_lines) == 1
        assert "blocker is a file" in r.err
        return
    _scans(tmp_path, 2)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    r = cli("batch", "scans", "-o", "out", "--op", "denoise")
    assert r.code == 1 and len(r.err_lines) == 1
    assert "cannot write into the output folder" in r.err


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_killed_batch_resumes_to_every_output_once(tmp_path, seed) -> None:
    folder = _scans(tmp_path, 6)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "restore_app", "batch", str(folder), "-o", str(out),
           "--op", "denoise", "--model", "denoise.nlm"]  # fmt: skip
    rng = np.random.default_rng(seed)
    for _ in range(3):
        proc = subprocess.Popen(
            cmd,
            env=cli_env(),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(float(rng.uniform(0.3, 1.2)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(cmd, env=cli_env(), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [f"s{i}.png" for i in range(6)] + [f"s{i}.png.json" for i in range(6)]
    )
    for i in range(6):
        rec = json.loads((out / f"s{i}.png.json").read_text())
        assert rec["output"]["size"] == (out / f"s{i}.png").stat().st_size
        assert load(out / f"s{i}.png").shape == (96, 128, 3)


def test_pipelines_follow_a_batch_in_json(cli, tmp_path) -> None:
    folder = _scans(tmp_path, 2)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    r = cli("batch", "scans", "-o", "out", "--op", "denoise", "--model", "denoise.nlm",
            "--progress", "json", "--report", "run.jsonl")  # fmt: skip
    assert r.code == 1
    events = [json.loads(line) for line in r.out.splitlines()]
    assert events[-1] == {
        "event": "summary",
        "done": 2,
        "nothing_detected": 0,
        "skipped": 0,
        "failed": 1,
    }
    assert any(e["event"] == "progress" for e in events)
    items = [e for e in events if e["event"] == "item"]
    manifest = [
        json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()
    ]
    assert [{k: v for k, v in e.items() if k != "event"} for e in items] == manifest
    by_name = {Path(m["input"]).name: m for m in manifest}
    assert (
        by_name["broken.png"]["status"] == "failed" and by_name["broken.png"]["reason"]
    )
    done = by_name["s0.png"]
    assert done["status"] == "done" and len(done["output_sha256"]) == 64
    assert len(done["input_sha256"]) == 64 and done["seconds"] >= 0
