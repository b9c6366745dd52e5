"""The training tests' shared situation: courses, a British and a German site, sessions."""

from types import SimpleNamespace

import pytest

from .factories import make_courses, make_session, make_site, next_monday


@pytest.fixture
def training(world):
    op, mnt = make_courses(world)
    gb = make_site(world, "GB", "salisbury-plain", [op, mnt])
    de = make_site(world, "DE", "grafenwoehr", [op, mnt])
    start = next_monday()
    return SimpleNamespace(
        op=op,
        mnt=mnt,
        gb=gb,
        de=de,
        start=start,
        gb_op=make_session(op, gb, start, seats=20),
        de_op=make_session(op, de, start, seats=20),
    )
