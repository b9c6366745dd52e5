"""What each notice says, written for one recipient: only what that recipient's role reads on
the record's own page (docs/security.md, docs/logistics.md). Called inside
``translation.override(<the recipient's language>)``.

Routes (origin, hub, legs) and shipment times (departure, ETA, days behind plan) go only to those
with full detail of the shipment (``Detail.FULL``: the cell, auditors, the owning donor). The
recipient reads the delivery point; nobody else reads anything of a shipment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from coordcell.logistics.models import Discrepancy, Shipment
from coordcell.logistics.selectors import Detail, shipment_detail_level
from coordcell.pledges.models import Pledge
from coordcell.readiness.models import CapabilityPackage
from coordcell.registry.models import Location, User
from coordcell.training.models import Cohort, Session


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    link: str = ""


def day(value: dt.date | None) -> str:
    return date_format(value, "Y-m-d") if value else _("no date")


def _pledge_words(pledge: Pledge) -> dict[str, Any]:
    return {
        "ref": pledge.reference,
        "donor": pledge.donor.name,
        "quantity": pledge.get_quantity_display(),
        "category": pledge.category.name,
    }


def pledge_slipped(user: User, pledge: Pledge, old: dt.date, new: dt.date) -> Notice:
    words = _pledge_words(pledge) | {"old": day(old), "new": day(new), "days": (new - old).days}
    return Notice(
        _("Pledge %(ref)s slipped to %(new)s") % words,
        _(
            "%(donor)s's pledge %(ref)s (%(quantity)s × %(category)s) is now available from "
            "%(new)s, %(days)s days later than %(old)s."
        )
        % words,
        f"/pledges/{pledge.pk}/",
    )


def pledge_withdrawn(user: User, pledge: Pledge, *, link: bool) -> Notice:
    words = _pledge_words(pledge)
    return Notice(
        _("Pledge %(ref)s withdrawn") % words,
        _("%(donor)s withdrew pledge %(ref)s (%(quantity)s × %(category)s).") % words,
        f"/pledges/{pledge.pk}/" if link else "",
    )


def _shipment_words(user: User, shipment: Shipment) -> tuple[Detail, dict[str, Any]]:
    level = shipment_detail_level(user, shipment)
    words: dict[str, Any] = {
        "ref": shipment.reference,
        "donor": shipment.donor.name,
        "point": shipment.delivery_point.name,
    }
    if level is Detail.FULL:
        words |= {
            "hub": shipment.hub.name,
            "departure": day(shipment.planned_departure),
            "eta": day(shipment.eta or shipment.planned_arrival),
        }
    return level, words


def shipments_cancelled_together(user: User, shipments: Sequence[Shipment], cause: str) -> Notice:
    """Many shipments cancelled by one change: their references only (no route, no time), all
    of which the reader sees."""
    count = len(shipments)
    shown = ", ".join(s.reference for s in shipments[:20])
    if count > 20:
        shown += " " + _("and %(more)s more") % {"more": count - 20}
    words = {"count": count, "cause": cause, "refs": shown}
    return Notice(
        ngettext(
            "%(count)s shipment cancelled: %(cause)s",
            "%(count)s shipments cancelled: %(cause)s",
            count,
        )
        % words,
        ngettext(
            "%(cause)s It cancelled %(count)s planned shipment you follow: %(refs)s. What it "
            "carried is planned again by the new plan or is open demand.",
            "%(cause)s It cancelled %(count)s planned shipments you follow: %(refs)s. What they "
            "carried is planned again by the new plan or is open demand.",
            count,
        )
        % words,
        "/logistics/shipments/?status=cancelled",
    )


def shipment_cancelled(user: User, shipment: Shipment) -> Notice | None:
    level, words = _shipment_words(user, shipment)
    subject = _("Shipment %(ref)s cancelled") % words
    link = f"/logistics/shipments/{shipment.pk}/"
    if level is Detail.FULL:
        body = (
            _(
                "Shipment %(ref)s of %(donor)s to %(point)s, through %(hub)s, planned to leave "
                "%(departure)s, was cancelled. What it carried is open demand again."
            )
            % words
        )
    elif level is Detail.LAST_LEG:
        body = _("Shipment %(ref)s of %(donor)s to %(point)s was cancelled.") % words
    else:
        return None
    return Notice(subject, body, link)


def shipment_late(user: User, shipment: Shipment, days: int) -> Notice | None:
    level, words = _shipment_words(user, shipment)
    if level is not Detail.FULL:
        return None  # lateness is a time against the plan: full detail only
    words["days"] = days
    return Notice(
        _("Shipment %(ref)s is late") % words,
        ngettext(
            "Shipment %(ref)s of %(donor)s through %(hub)s is %(days)s day behind plan; "
            "expected handover at %(point)s on %(eta)s.",
            "Shipment %(ref)s of %(donor)s through %(hub)s is %(days)s days behind plan; "
            "expected handover at %(point)s on %(eta)s.",
            days,
        )
        % words,
        f"/logistics/shipments/{shipment.pk}/",
    )


def _discrepancy_words(user: User, discrepancy: Discrepancy) -> dict[str, Any]:
    shipment = discrepancy.shipment
    level = shipment_detail_level(user, shipment)
    what = str(discrepancy.get_kind_display())
    if discrepancy.quantity:
        what += " " + ngettext("(%(n)s unit)", "(%(n)s units)", discrepancy.quantity) % {
            "n": discrepancy.quantity
        }
    if discrepancy.serial:
        what += " " + _("serial %(serial)s") % {"serial": discrepancy.serial}
    words = {"ref": shipment.reference, "donor": shipment.donor.name, "what": what, "where": ""}
    location = discrepancy.location
    # Where it was found names a hub while in transit: route information.
    if location is not None and (level is Detail.FULL or _is_handover_point(location, shipment)):
        words["where"] = " " + _("at %(place)s") % {"place": location.name}
    return words


def _is_handover_point(location: Location, shipment: Shipment) -> bool:
    return location.pk == shipment.delivery_point_id


def discrepancy_opened(user: User, discrepancy: Discrepancy) -> Notice:
    words = _discrepancy_words(user, discrepancy)
    return Notice(
        _("Discrepancy on shipment %(ref)s") % words,
        _("A discrepancy was found on %(donor)s's shipment %(ref)s%(where)s: %(what)s.") % words,
        f"/logistics/shipments/{discrepancy.shipment_id}/",
    )


def discrepancy_overdue(user: User, discrepancy: Discrepancy) -> Notice:
    words = _discrepancy_words(user, discrepancy)
    due = getattr(discrepancy, "due_date", None) or getattr(discrepancy, "due_on", None)
    words["due"] = day(due) if due else ""
    body = (
        _(
            "The discrepancy on %(donor)s's shipment %(ref)s%(where)s (%(what)s) was due to be "
            "resolved by %(due)s and is still open."
        )
        if due
        else _("The discrepancy on %(donor)s's shipment %(ref)s%(where)s (%(what)s) is overdue.")
    )
    return Notice(
        _("Discrepancy on shipment %(ref)s overdue") % words,
        body % words,
        f"/logistics/shipments/{discrepancy.shipment_id}/",
    )


def capacity_cut(user: User, hub: Location, domain: str, weeks: Sequence[Any]) -> Notice:
    words = {"hub": hub.name, "domain": domain, "weeks": ", ".join(str(w) for w in weeks)}
    return Notice(
        _("Capacity of %(hub)s cut") % words,
        _("The capacity of hub %(hub)s for %(domain)s was cut in the weeks %(weeks)s.") % words,
        f"/logistics/hubs/{hub.pk}/",
    )


def session_cancelled(
    user: User,
    session: Session,
    rebooked: Iterable[Cohort],
    unbooked: Iterable[Cohort],
    visible_cohorts: set[int],
) -> Notice:
    words: dict[str, Any] = {
        "ref": session.reference,
        "course": session.course.name,
        "site": session.site.location.name,
        "start": day(session.start_date),
    }
    parts = [
        _("Session %(ref)s (%(course)s at %(site)s, starting %(start)s) was cancelled.") % words
    ]
    for label, cohorts in (
        (_("Booked again elsewhere: %(list)s."), list(rebooked)),
        (_("No longer booked: %(list)s."), list(unbooked)),
    ):
        names = [c.reference for c in cohorts if c.pk in visible_cohorts]
        if names:
            parts.append(label % {"list": ", ".join(names)})
    return Notice(
        _("Session %(ref)s cancelled") % words,
        " ".join(parts),
        f"/training/sessions/{session.pk}/",
    )


def readiness_later(
    user: User, package: CapabilityPackage, old: dt.date | None, new: dt.date | None
) -> Notice:
    words: dict[str, Any] = {
        "ref": package.reference,
        "name": package.name,
        "old": day(old),
        "new": day(new),
    }
    if old and new:
        words["days"] = (new - old).days
        body = _("%(ref)s (%(name)s) is now ready on %(new)s, %(days)s days later than %(old)s.")
    else:
        body = _("%(ref)s (%(name)s) was to be ready on %(old)s and now has no date.")
    return Notice(
        _("Readiness of %(ref)s moved later") % words,
        body % words,
        f"/readiness/{package.pk}/",
    )


# ---- a stored notice read in the reader's language ----------------------------------------
#
# A notice is stored as written for its recipient (in the language of their notifications).
# The inbox shows it in the language the reader reads the page in: a text that is one of the
# messages above, in any of the installation's languages, is said again in the page's language
# with the same words (references, names, dates as they were). Any other text is shown as stored.

# (message, plural message or "", the word that counts for the plural)
REWORDABLE: tuple[tuple[str, str, str], ...] = (
    (gettext_noop("Pledge %(ref)s slipped to %(new)s"), "", ""),
    (
        gettext_noop(
            "%(donor)s's pledge %(ref)s (%(quantity)s × %(category)s) is now available from "
            "%(new)s, %(days)s days later than %(old)s."
        ),
        "",
        "",
    ),
    (gettext_noop("Pledge %(ref)s withdrawn"), "", ""),
    (gettext_noop("%(donor)s withdrew pledge %(ref)s (%(quantity)s × %(category)s)."), "", ""),
    (gettext_noop("Shipment %(ref)s cancelled"), "", ""),
    (
        gettext_noop(
            "Shipment %(ref)s of %(donor)s to %(point)s, through %(hub)s, planned to leave "
            "%(departure)s, was cancelled. What it carried is open demand again."
        ),
        "",
        "",
    ),
    (gettext_noop("Shipment %(ref)s of %(donor)s to %(point)s was cancelled."), "", ""),
    (gettext_noop("Shipment %(ref)s is late"), "", ""),
    (
        "Shipment %(ref)s of %(donor)s through %(hub)s is %(days)s day behind plan; "
        "expected handover at %(point)s on %(eta)s.",
        "Shipment %(ref)s of %(donor)s through %(hub)s is %(days)s days behind plan; "
        "expected handover at %(point)s on %(eta)s.",
        "days",
    ),
    (
        "%(count)s shipment cancelled: %(cause)s",
        "%(count)s shipments cancelled: %(cause)s",
        "count",
    ),
    (gettext_noop("Discrepancy on shipment %(ref)s"), "", ""),
    (gettext_noop("Discrepancy on shipment %(ref)s overdue"), "", ""),
    (gettext_noop("Capacity of %(hub)s cut"), "", ""),
    (
        gettext_noop("The capacity of hub %(hub)s for %(domain)s was cut in the weeks %(weeks)s."),
        "",
        "",
    ),
    (gettext_noop("Session %(ref)s cancelled"), "", ""),
    (gettext_noop("Readiness of %(ref)s moved later"), "", ""),
    (
        gettext_noop(
            "%(ref)s (%(name)s) is now ready on %(new)s, %(days)s days later than %(old)s."
        ),
        "",
        "",
    ),
    (
        gettext_noop("%(ref)s (%(name)s) was to be ready on %(old)s and now has no date."),
        "",
        "",
    ),
)

_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


def _pattern(said: str) -> re.Pattern[str]:
    seen: set[str] = set()

    def group(match: re.Match[str]) -> str:
        name = match[1]
        if name in seen:
            return f"(?P={name})"
        seen.add(name)
        return f"(?P<{name}>.+?)"

    return re.compile("^" + _PLACEHOLDER.sub(group, re.escape(said)) + "$", re.DOTALL)


_PATTERNS: list[tuple[re.Pattern[str], tuple[str, str, str]]] = []


def _patterns() -> list[tuple[re.Pattern[str], tuple[str, str, str]]]:
    if not _PATTERNS:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for message in REWORDABLE:
                    singular, plural, _count = message
                    forms = (
                        {ngettext(singular, plural, n) for n in (1, 2, 5, 21)}
                        if plural
                        else {_(singular)}
                    )
                    _PATTERNS.extend((_pattern(said), message) for said in forms)
    return _PATTERNS


def reworded(text: str) -> str:
    """A stored notice's subject or body in the active language (as stored if not known)."""
    for pattern, (singular, plural, count) in _patterns():
        found = pattern.match(text or "")
        if found is None:
            continue
        words = found.groupdict()
        if not plural:
            return _(singular) % words
        try:
            return ngettext(singular, plural, int(words[count])) % words
        except ValueError:
            return text
    return text
