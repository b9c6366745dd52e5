"""The one shipment lifecycle: statuses, the allowed transitions, and how status and ETA are
derived from events. Plain functions over plain values, so they are tested without a database.

Status from events (the rule the whole app uses):
  * a shipment with a ``cancelled`` event is cancelled, whatever else arrived;
  * otherwise its status is the lifecycle stage of the event that is furthest along the
    lifecycle; among several events of that stage, the latest by occurrence time (then by id)
    gives the status time and the current location;
  * a shipment without events is planned.
Events may therefore arrive in any order: a late "departed" after an "at hub" adds history but
does not move the shipment back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    READY = "ready_at_origin", _("Ready at origin")
    DEPARTED = "departed", _("Departed origin")
    AT_HUB = "at_hub", _("At hub (checked)")
    DEPARTED_HUB = "departed_hub", _("Departed hub")
    HANDED_OVER = "handed_over", _("Handed over at delivery point")
    RECEIVED = "received", _("Received (confirmed by the recipient)")
    CANCELLED = "cancelled", _("Cancelled")


S = ShipmentStatus
STAGES: tuple[ShipmentStatus, ...] = (
    S.PLANNED,
    S.READY,
    S.DEPARTED,
    S.AT_HUB,
    S.DEPARTED_HUB,
    S.HANDED_OVER,
    S.RECEIVED,
)
RANK: dict[str, int] = {s.value: i for i, s in enumerate(STAGES)}
RANK[S.CANCELLED.value] = 100

ALLOWED: dict[str, tuple[ShipmentStatus, ...]] = {
    S.PLANNED: (S.READY, S.CANCELLED),
    S.READY: (S.DEPARTED, S.CANCELLED),
    S.DEPARTED: (S.AT_HUB,),
    S.AT_HUB: (S.DEPARTED_HUB,),
    S.DEPARTED_HUB: (S.HANDED_OVER,),
    S.HANDED_OVER: (S.RECEIVED,),
    S.RECEIVED: (),
    S.CANCELLED: (),
}

# Statuses an event can carry (planned is where a shipment starts, never an event).
EVENT_STATUSES = tuple(s for s in S if s != S.PLANNED)
# On the way and not yet handed over: these can be late.
IN_PROGRESS = (S.PLANNED, S.READY, S.DEPARTED, S.AT_HUB, S.DEPARTED_HUB)
# Before departure: the plan can still be changed by hand.
CHANGEABLE = (S.PLANNED, S.READY)
# Checks where quantities and serial numbers are counted against the plan.
CHECKS = (S.AT_HUB, S.HANDED_OVER, S.RECEIVED)
# The minimum time a hub needs for its pyrotechnic and counter-intelligence checks.
HUB_CHECK_DAYS = 1


def transition_error(current: str, target: str) -> str | None:
    """None when ``current -> target`` is allowed, else a message a user can act on."""
    allowed = ALLOWED.get(current, ())
    if target in allowed:
        return None
    label = S(current).label if current in S.values else current
    target_label = S(target).label if target in S.values else target
    if allowed:
        options = " or ".join(f"'{S(a).label}'" for a in allowed)
        what = f"from '{label}' the next status can only be {options}"
    else:
        what = f"'{label}' is final: no further status is allowed"
    return f"A shipment cannot go from '{label}' to '{target_label}': {what}."


@dataclass(frozen=True)
class EventFact:
    id: int
    status: str
    occurred_at: dt.datetime


def derive_status(events: Iterable[EventFact]) -> EventFact | None:
    """The event that defines the shipment's status (see the module docstring); None = planned."""
    best: EventFact | None = None
    for event in events:
        if best is None or (RANK[event.status], event.occurred_at, event.id) > (
            RANK[best.status],
            best.occurred_at,
            best.id,
        ):
            best = event
    return best


@dataclass
class LegTimes:
    planned_departure: dt.date
    planned_arrival: dt.date
    actual_departure: dt.datetime | None = None
    actual_arrival: dt.datetime | None = None
    expected_departure: dt.date | None = None
    expected_arrival: dt.date | None = None


@dataclass(frozen=True)
class Schedule:
    eta: dt.date | None
    next_due: dt.date | None
    delay_days: int


# Leg n (0-based) departs with stage LEG_DEPARTS[n] and arrives with LEG_ARRIVES[n].
LEG_DEPARTS = (S.DEPARTED, S.DEPARTED_HUB)
LEG_ARRIVES = (S.AT_HUB, S.HANDED_OVER)


def schedule(legs: Sequence[LegTimes], status: str, today: dt.date) -> Schedule:
    """Expected times per leg (written into ``legs``), the ETA and how late the shipment is.

    A leg that has not left departs at the latest of its planned day, the previous leg's
    expected arrival plus the hub check time, and today; it keeps its planned duration. So a
    late departure shifts every later leg. A leg whose stage was reached without a time
    recorded (events still to come) counts as on plan.
    """
    if status == S.CANCELLED:
        for leg in legs:
            leg.expected_departure = leg.expected_arrival = None
        return Schedule(None, None, 0)
    rank = RANK[status]
    previous_arrival: dt.date | None = None
    delay = 0
    for n, leg in enumerate(legs):
        duration = leg.planned_arrival - leg.planned_departure
        departed = n < len(LEG_DEPARTS) and rank >= RANK[LEG_DEPARTS[n]]
        arrived = n < len(LEG_ARRIVES) and rank >= RANK[LEG_ARRIVES[n]]
        if leg.actual_departure is not None:
            departure = leg.actual_departure.date()
        else:
            departure = leg.planned_departure
            if previous_arrival is not None:
                departure = max(departure, previous_arrival + dt.timedelta(days=HUB_CHECK_DAYS))
            if not departed:
                departure = max(departure, today)
        if leg.actual_arrival is not None:
            arrival = leg.actual_arrival.date()
        else:
            arrival = departure + duration
            if not arrived and departed:
                arrival = max(arrival, today)
        leg.expected_departure, leg.expected_arrival = departure, arrival
        delay = max(
            delay,
            (departure - leg.planned_departure).days,
            (arrival - leg.planned_arrival).days,
        )
        previous_arrival = arrival
    return Schedule(
        eta=legs[-1].expected_arrival if legs else None,
        next_due=next_due(legs, status),
        delay_days=max(delay, 0),
    )


def next_due(legs: Sequence[LegTimes], status: str) -> dt.date | None:
    """The planned date of the next milestone: past it and not reached means late."""
    if len(legs) < 2:
        return None
    return {
        S.PLANNED: legs[0].planned_departure,
        S.READY: legs[0].planned_departure,
        S.DEPARTED: legs[0].planned_arrival,
        S.AT_HUB: legs[1].planned_departure,
        S.DEPARTED_HUB: legs[1].planned_arrival,
    }.get(S(status))
