"""The allocation tests' shared situation."""

import pytest

from .scenario import urgent_and_routine


@pytest.fixture
def situation(world):
    """Two requirements for 155 mm rounds; two pledges that can cover the urgent one only."""
    return urgent_and_routine(world)
