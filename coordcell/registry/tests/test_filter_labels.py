"""Filter labels are said in the reader's language, even after the API schema was built (it
builds the filters' form fields on the filter set classes themselves)."""

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from coordcell.registry.models import Role

pytestmark = pytest.mark.django_db


def test_filter_labels_follow_the_language_after_a_schema_request(world, client_for):
    SchemaGenerator().get_schema(request=None, public=True)  # what /api/v1/schema/ does
    client = client_for(world.users[Role.COORDINATOR])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    pledges = client.get("/pledges/").content.decode()
    requirements = client.get("/requirements/").content.decode()
    assert "Статус" in pledges and "Пріоритет" in requirements
    for english in (">Status<", ">Valuation basis<"):
        assert english not in pledges.replace("\n", "")
    assert ">Priority<" not in requirements.replace("\n", "")
