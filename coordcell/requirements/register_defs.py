from typing import Any

from coordcell.registry.registers import Column, RecordAction, Register

from . import selectors, services, views
from .filters import RequirementFilter
from .forms import RequirementForm
from .models import Requirement


def _save(*, actor: Any, form: RequirementForm) -> Requirement:
    return services.requirement_save(
        actor=actor, requirement=form.instance, expected_version=form.expected_version
    )


def _delete(*, actor: Any, instance: Requirement) -> None:
    services.requirement_delete(actor=actor, requirement=instance)


def _ledger_panel(user: Any, obj: Any) -> dict[str, Any] | None:
    # The ledger counts shipments, which build on this record: asked at call time.
    from coordcell.logistics.ledger_panel import requirement_ledger_panel

    return requirement_ledger_panel(user, obj)


def _ledger_fields(user: Any) -> list[str]:
    from coordcell.logistics.ledger_panel import requirement_ledger_fields

    return requirement_ledger_fields(user)


def _ledger_figures(user: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    from coordcell.logistics.ledger_panel import requirement_ledger_figures

    return requirement_ledger_figures(user, ids)


REQUIREMENTS = Register(
    slug="requirements",
    model=Requirement,
    title="Requirements",
    columns=(
        Column("reference", "Reference", "reference"),
        Column("priority", "Priority", "priority"),
        Column("capability", "Capability", "capability__name"),
        Column("category", "Category", "category__name"),
        Column("quantity", "Quantity", "quantity"),
        Column("need_by", "Need by", "need_by"),
        Column("delivery_point", "Delivery point", "delivery_point__name"),
        Column("status", "Status", "status"),
    ),
    visible=selectors.requirements_visible_to,
    editable=selectors.requirements_editable_by,
    can_create=selectors.can_create_requirement,
    form_class=RequirementForm,
    filterset_class=RequirementFilter,
    search_fields=("reference", "category__name", "capability__name", "justification"),
    panels=(_ledger_panel,),
    ledger=_ledger_figures,
    ledger_fields=_ledger_fields,
    detail_fields=Requirement.SHOWN_FIELDS,
    save=_save,
    delete=_delete,
    default_sort="priority",
    units={"quantity": "category.unit"},
    actions=(
        RecordAction(
            "Cancel",
            "cancel",
            views.requirement_cancel,
            lambda user, obj: (
                obj.cancelled_at is None and selectors.can_cancel_requirement(user, obj)
            ),
        ),
    ),
)
