"""The demo the README shows: `partnerbot demo --script` places and approves an order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[2] / "docs"


def _demo(tmp_path: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--database", str(tmp_path / "demo.db"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(DOCS.parent)},
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_readme_demo_places_and_approves_an_order(tmp_path: Path) -> None:
    out = _demo(tmp_path, "--as", "distributor", "--script", str(DOCS / "demo-order.txt"))
    assert "已下达" in out
    assert "等待您审批" in out
    assert out.count("已批准") >= 2  # the approver's answer and the orderer's notice


def test_english_demo_rejects_with_a_reason(tmp_path: Path) -> None:
    out = _demo(
        tmp_path, "--as", "distributor", "--lang", "en", "--script", str(DOCS / "demo-order-en.txt")
    )
    assert "is placed" in out
    assert "Monthly quota reached" in out
    assert "rejected" in out


@pytest.mark.parametrize("persona", ["distributor", "tier1", "rep", "manager", "newcomer"])
def test_every_demo_persona_opens(tmp_path: Path, persona: str) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("/menu\n/help\n", encoding="utf-8")
    out = _demo(tmp_path, "--as", persona, "--script", str(script))
    assert "/help" in out
