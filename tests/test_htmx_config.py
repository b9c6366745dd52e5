"""htmx swaps a 400 answer: a list filter's bad value shows its error instead of nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def _htmx_config(html: str) -> dict[str, Any]:
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert found, "every page carries the htmx configuration"
    config: dict[str, Any] = json.loads(found[1])
    return config


def test_every_page_tells_htmx_to_swap_a_400_answer(client_for: Any, world: Any) -> None:
    client = client_for(world.users[Role.COORDINATOR])
    config = _htmx_config(client.get("/logistics/").content.decode())
    rules = config["responseHandling"]
    first = next(r for r in rules if re.fullmatch(r["code"], "400"))
    assert first["swap"] is True  # the form's error shows
    server_error = next(r for r in rules if re.fullmatch(r["code"], "500"))
    assert server_error["swap"] is False and server_error["error"] is True
    no_content = next(r for r in rules if re.fullmatch(r["code"], "204"))
    assert no_content["swap"] is False
    assert config["allowEval"] is False


def test_a_bad_filter_value_answers_400_with_its_error_in_the_list(
    client_for: Any, world: Any
) -> None:
    client = client_for(world.users[Role.COORDINATOR])
    answer = client.get("/logistics/?page=nonsense", HTTP_HX_REQUEST="true")
    assert answer.status_code == 400
    assert 'id="content"' in answer.content.decode()
