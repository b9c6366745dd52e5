"""A web process loads every page and API view but solves nothing (allocation runs and training
schedules are background jobs): it must not carry the optimisers' libraries, which cost each web
worker about a second to start and some 75 MB of memory."""

import os
import subprocess
import sys

PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every view module
heavy = [name for name in ("highspy", "ortools", "scipy") if name in sys.modules]
print(",".join(heavy))
"""


def test_loading_every_view_imports_no_optimiser_library(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coordcell.settings",
        "COORDCELL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
    }
    done = subprocess.run(  # a fresh interpreter: this one has imported them for other tests
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "", f"web processes import {done.stdout.strip()}"
