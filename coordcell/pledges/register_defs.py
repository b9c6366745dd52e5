from typing import Any

from django.utils.translation import gettext_lazy as _

from coordcell.registry.registers import Column, RecordAction, Register

from . import selectors, services, views
from .filters import PledgeFilter
from .forms import PledgeForm
from .models import Pledge


def _save(*, actor: Any, form: PledgeForm) -> Pledge:
    return services.pledge_save(
        actor=actor,
        pledge=form.instance,
        allowed_hubs=form.cleaned_data.get("allowed_hubs"),
        allowed_capabilities=form.cleaned_data.get("allowed_capabilities"),
        expected_version=form.expected_version,
    )


def _delete(*, actor: Any, instance: Pledge) -> None:
    services.pledge_delete(actor=actor, pledge=instance)


def _ledger_panel(user: Any, obj: Any) -> dict[str, Any] | None:
    # The ledger counts shipments, which build on this record: asked at call time.
    from coordcell.logistics.ledger_panel import pledge_ledger_panel

    return pledge_ledger_panel(user, obj)


def _history_panel(user: Any, obj: Pledge) -> dict[str, Any] | None:
    deliveries = selectors.pledge_deliveries_visible_to(user).filter(pledge=obj)
    if not deliveries.exists():
        return None
    return {"template": "pledges/deliveries_panel.html", "deliveries": deliveries[:200]}


def _ledger_fields(user: Any) -> list[str]:
    from coordcell.logistics.ledger_panel import pledge_ledger_fields

    return pledge_ledger_fields(user)


def _ledger_figures(user: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    from coordcell.logistics.ledger_panel import pledge_ledger_figures

    return pledge_ledger_figures(user, ids)


PLEDGES = Register(
    slug="pledges",
    model=Pledge,
    title="Pledges",
    columns=(
        Column("reference", "Reference", "reference"),
        Column("donor", "Donor", "donor__name"),
        Column("category", "Category", "category__name"),
        Column("quantity", "Quantity", "quantity"),
        Column("allocated_quantity", "Allocated", "allocated_quantity"),
        Column("available_from", "Available from", "available_from"),
        Column("status", "Status", "status"),
    ),
    visible=selectors.pledges_visible_to,
    editable=selectors.pledges_editable_by,
    can_create=selectors.can_create_pledge,
    form_class=PledgeForm,
    filterset_class=PledgeFilter,
    search_fields=("reference", "donor_reference", "category__name", "conditions"),
    panels=(_ledger_panel, _history_panel),
    ledger=_ledger_figures,
    ledger_fields=_ledger_fields,
    detail_fields=Pledge.SHOWN_FIELDS,
    save=_save,
    delete=_delete,
    default_sort="-available_from",
    units={"quantity": "category.unit", "allocated_quantity": "category.unit"},
    hidden=selectors.pledge_fields_hidden_from,
    list_links=((_("Confirm offered pledges"), "pledges-confirm", selectors.can_confirm_pledges),),
    actions=(
        RecordAction(
            "Record a delivery",
            "delivered",
            views.pledge_delivered,
            lambda user, obj: selectors.can_save_pledge(user, obj),
        ),
    ),
)
