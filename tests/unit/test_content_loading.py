"""The clinic's files as the action server loads them: validated at start,
re-read when edited, and a broken rules file stops the server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_edited_rules_file_is_used_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from actions import content

    rules_copy = tmp_path / "rules.yml"
    shutil.copy(ROOT / "clinic" / "screening_rules.yml", rules_copy)
    monkeypatch.setenv("CLINIC_SCREENING_RULES", str(rules_copy))
    assert "wait until you have been well" in content.rules().message("postpone")

    data = yaml.safe_load(rules_copy.read_text())
    data["messages"]["postpone"] = "Please come back when you feel better."
    rules_copy.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    os.utime(rules_copy, (time.time() + 5, time.time() + 5))  # a later mtime, even on coarse clocks
    assert content.rules().message("postpone") == "Please come back when you feel better."


def test_a_broken_rules_file_stops_the_action_server(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yml"
    data = yaml.safe_load((ROOT / "clinic" / "screening_rules.yml").read_text())
    data["conditions"][1]["outcome"] = {"body": "probably_fine", "facial": "ok"}
    broken.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    env = {**os.environ, "CLINIC_SCREENING_RULES": str(broken), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "actions.serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "action server not started" in proc.stderr and "probably_fine" in proc.stderr
