"""Every register's title, column and action label is marked for translation (register_labels)."""

from coordcell.catalogue import REGISTERS as LISTED
from coordcell.registry.register_labels import LABELS
from coordcell.training.register_defs import REGISTERS as TRAINING

REGISTERS = [*LISTED, *TRAINING]


def test_every_register_label_is_marked_for_translation() -> None:
    shown = {str(r.title) for r in REGISTERS}
    for r in REGISTERS:
        shown |= {str(c.label) for c in r.columns} | {str(a.label) for a in r.actions}
    assert shown - set(LABELS) == set(), "add them to coordcell/registry/register_labels.py"


def test_detail_fields_without_a_verbose_name_are_marked() -> None:
    from coordcell.registry.register_labels import DETAIL_LABELS

    unnamed = set()
    for r in REGISTERS:
        for name in r.detail_fields:
            try:
                getattr(r.model._meta.get_field(name.split(".")[0]), "verbose_name")  # noqa: B009
            except Exception:
                unnamed.add(name.replace("_", " "))
    assert unnamed - set(DETAIL_LABELS) == set(), "add them to register_labels.DETAIL_LABELS"
