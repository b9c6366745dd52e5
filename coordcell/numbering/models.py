from django.db import models
from django.utils.translation import gettext_lazy as _

from coordcell.bounds import BIGINT, between


class ReferenceCounter(models.Model):
    """The last number handed out for one prefix of cell references (P for pledges, ...)."""

    prefix = models.CharField(_("prefix"), max_length=10, unique=True)
    last = models.PositiveBigIntegerField(_("last number"), validators=between(0, BIGINT[1]))

    def __str__(self) -> str:
        return f"{self.prefix}-{self.last}"
