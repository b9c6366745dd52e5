from __future__ import annotations

from typing import Any

from coordcell.registry.models import Role
from coordcell.training.tests.factories import make_courses, make_session, make_site, next_monday


def test_training_officer_sees_its_sessions_with_empty_seats(
    world: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    op, _mnt = make_courses(world)
    own = make_site(world, "GB", "site-gb", [op])
    other = make_site(world, "DE", "site-de", [op])
    make_session(op, own, next_monday(1), seats=20)
    make_session(op, own, next_monday(2), seats=20)
    make_session(op, other, next_monday(1), seats=20)  # another nation's site
    client = client_for(world.users[Role.TRAINING_SITE_OFFICER])
    with django_assert_max_num_queries(15):
        response = client.get("/")
    figures = {f.label: f for f in response.context["board"].figures}
    assert figures["Sessions with empty seats"].value == 2
    assert figures["Sessions with empty seats"].hint == "40 empty seats"
    panel = response.context["board"].panels[0]
    assert len(panel.rows) == 2
