"""Production mode refuses a secret key anyone could know or guess, before it signs anything."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from coordcell.settings import KNOWN_SECRET_KEYS


def _start(tmp_path: Path, key: str) -> subprocess.CompletedProcess[str]:
    """Import the settings as every coordcell process does, in production mode."""
    env = {
        **os.environ,
        "COORDCELL_DATA_DIR": str(tmp_path),
        "COORDCELL_PRODUCTION": "1",
        "DEBUG": "0",
        "SECRET_KEY": key,
        "ALLOWED_HOSTS": "coordcell.example.org",
    }
    return subprocess.run(
        [sys.executable, "-c", "import coordcell.settings"],
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("x", "1 characters, fewer than 50"),
        ("ab" * 40, "2 distinct characters, fewer than 5"),
        # Fixed, not random: parallel test runners collect the same test ids.
        ("django-insecure-" + "q7Zr1-xK" * 7, "Django generated for development"),
        *((key, "an example published with coordcell") for key in sorted(KNOWN_SECRET_KEYS)),
    ],
)
def test_production_refuses_a_weak_or_published_secret_key(
    tmp_path: Path, key: str, reason: str
) -> None:
    result = _start(tmp_path, key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "COORDCELL_PRODUCTION=1 refuses this SECRET_KEY" in result.stderr
    assert reason in result.stderr


def test_production_starts_with_a_random_secret_key(tmp_path: Path) -> None:
    result = _start(tmp_path, secrets.token_urlsafe(64))
    assert result.returncode == 0, result.stderr


def test_the_examples_in_the_documentation_are_refused() -> None:
    """Every SECRET_KEY=value the docs show is one production mode refuses."""
    import re

    root = Path(__file__).resolve().parents[3]
    shown = {
        match.group(1)
        for doc in [root / "README.md", *(root / "docs").glob("*.md")]
        for match in re.finditer(r"^\s*(?:export )?SECRET_KEY=(\S+)", doc.read_text(), re.M)
    }
    assert shown and shown <= KNOWN_SECRET_KEYS
