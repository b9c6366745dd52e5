import datetime as dt

import factory

from coordcell.pledges.models import Pledge
from coordcell.registry.tests.factories import (
    ItemCategoryFactory,
    LocationFactory,
    NationFactory,
)


class PledgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pledge

    reference = factory.Sequence(lambda n: f"P-{n + 1:06d}")
    donor = factory.SubFactory(NationFactory)
    category = factory.SubFactory(ItemCategoryFactory)
    quantity = 100
    available_from = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=14))
    origin = factory.SubFactory(LocationFactory, nation=factory.SelfAttribute("..donor"))
    status = Pledge.Status.CONFIRMED
