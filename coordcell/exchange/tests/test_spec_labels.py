"""The import kinds' names, labels and help texts are marked for translation (spec_labels)."""

from coordcell.exchange.spec_labels import LABELS
from coordcell.exchange.specs import SPECS


def test_every_import_label_and_help_is_marked_for_translation() -> None:
    shown = set()
    for kind, spec in SPECS.items():
        shown.add(str(kind))
        shown |= {str(f.label) for f in spec.fields} | {str(f.help) for f in spec.fields if f.help}
    assert shown - set(LABELS) == set(), "add them to coordcell/exchange/spec_labels.py"
