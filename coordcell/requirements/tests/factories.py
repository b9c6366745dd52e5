import datetime as dt

import factory

from coordcell.registry.models import Location
from coordcell.registry.tests.factories import (
    CapabilityFactory,
    ItemCategoryFactory,
    LocationFactory,
)
from coordcell.requirements.models import Requirement


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    reference = factory.Sequence(lambda n: f"R-{n + 1:06d}")
    capability = factory.SubFactory(CapabilityFactory)
    category = factory.SubFactory(ItemCategoryFactory)
    quantity = 50
    need_by = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=60))
    delivery_point = factory.SubFactory(LocationFactory, kind=Location.Kind.DELIVERY_POINT)
    priority = 2
