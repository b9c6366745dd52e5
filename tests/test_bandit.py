"""bandit finds no medium or high issue in our code that nobody reviewed (docs/security.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_bandit_reports_no_unreviewed_medium_or_high_finding() -> None:
    bandit = Path(sys.executable).with_name("bandit")
    done = subprocess.run(
        [str(bandit), "-r", "coordcell", "-x", "*/tests/*", "-ll", "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert not report["errors"], report["errors"]
    found = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in {"MEDIUM", "HIGH"}
    ]
    assert not found, (
        "review these (fix, or '# nosec BXXX: reason' + docs/security.md):\n" + "\n".join(found)
    )
