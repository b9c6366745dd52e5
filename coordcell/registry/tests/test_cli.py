import subprocess
import sys
from typing import Any

import pytest

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


@pytest.mark.django_db
def test_createuser_reads_the_password_from_standard_input(monkeypatch: Any) -> None:
    import io

    from django.core.management import call_command

    from coordcell.registry.models import Nation, User

    Nation.objects.update_or_create(code="DE", defaults={"name": "Germany", "is_donor": True})
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret 42\n"))
    call_command("createuser", "jdoe", role="donor_liaison", nation="de", password_stdin=True)
    user = User.objects.get(username="jdoe")
    assert user.nation.code == "DE" and user.check_password("a long enough secret 42")


@pytest.mark.django_db
def test_createuser_without_a_terminal_says_how_to_give_the_password(monkeypatch: Any) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from coordcell.registry.models import User

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": input(prompt))
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command("createuser", "jdoe", role="coordinator")
    assert not User.objects.filter(username="jdoe").exists()
