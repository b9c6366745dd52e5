"""The worker runs below the web processes' CPU priority, and never tries to rise above where it
was started (that needs privileges it does not have)."""

import os
import subprocess
import sys

PROBE = """
import os
import django
django.setup()
from coordcell.registry.management.commands.worker import _lower_priority
start = os.getpriority(os.PRIO_PROCESS, 0)
_lower_priority(min(start + 3, 19))
lowered = os.getpriority(os.PRIO_PROCESS, 0)
_lower_priority(start)
print(start, lowered, os.getpriority(os.PRIO_PROCESS, 0))
"""


def test_the_worker_lowers_its_priority_and_never_raises_it(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coordcell.settings", "DATABASE_URL": ""}
    env["COORDCELL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(  # a child process: this one's priority stays as it is
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    start, lowered, after = map(int, done.stdout.split())
    assert lowered == after == min(start + 3, 19)
