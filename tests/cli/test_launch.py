"""``restore-app open`` reaches the window (off screen) and keeps running."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

from cli_helpers import REPO, cli_env


def test_open_samples_starts_the_window(tmp_path) -> None:
    # A copy: the window keeps its work in a sidecar folder beside the scans,
    # which must not appear in the checkout.
    samples = shutil.copytree(REPO / "resources" / "samples", tmp_path / "samples")
    proc = subprocess.Popen(
        [sys.executable, "-m", "restore_app", "open", str(samples)],
        cwd=tmp_path,
        env=cli_env(QT_QPA_PLATFORM="offscreen"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert alive, f"the app exited early ({proc.returncode}): {err}"
    assert "Traceback" not in err
