"""A list filter redrawn by htmx shows a bad value's reason (a 400 answer is swapped in)."""

from __future__ import annotations

from typing import Any

import pytest

from coordcell.registry.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_bad_filter_value_shows_its_reason_where_the_list_was(login: Any, world: Any) -> None:
    session = login(world.users[Role.COORDINATOR].username)
    page = session.page
    page.goto("/logistics/inventory/")
    page.wait_for_function("() => window.htmx !== undefined")
    # A value the page never offers (an old bookmark, a hand-edited link): the select sends it.
    page.evaluate(
        """() => {
            const select = document.querySelector('form.filters select[name=state]');
            select.add(new Option('gone', 'no-such-state'));
            select.value = 'no-such-state';
            select.dispatchEvent(new Event('change', {bubbles: true}));
        }"""
    )
    alert = page.locator("#content .message.error[role=alert]")
    alert.wait_for()
    assert "Nothing is listed" in alert.inner_text()
    assert "state=no-such-state" in page.url  # pushed: the address says what was asked
