import subprocess
import sys

from coordcell.cli import COMMANDS


def test_help_lists_every_command_with_one_line_each():
    result = subprocess.run(
        [sys.executable, "-m", "coordcell.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    for name in ("serve", "migrate", "demo-data", "createuser", "audit"):
        assert name in COMMANDS
        matching = [line for line in lines if line.strip().startswith(name + " ")]
        assert len(matching) == 1, name
        assert len(matching[0].split(maxsplit=1)) == 2, f"{name} has no description"
