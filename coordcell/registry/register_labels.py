"""The registers' titles, column and action labels (coordcell/*/register_defs.py), marked here so
that ``makemessages`` collects them: the register templates translate them when they show them
(``{% translate column.label %}``), in the viewer's language, while exports keep the English
headers the importer matches. registry/tests/test_register_labels.py fails when a register's
label is missing here."""

from django.utils.translation import gettext_noop

LABELS = (
    gettext_noop("Pledges"),
    gettext_noop("Reference"),
    gettext_noop("Donor"),
    gettext_noop("Category"),
    gettext_noop("Quantity"),
    gettext_noop("Allocated"),
    gettext_noop("Available from"),
    gettext_noop("Status"),
    gettext_noop("Record a delivery"),
    gettext_noop("Requirements"),
    gettext_noop("Priority"),
    gettext_noop("Capability"),
    gettext_noop("Need by"),
    gettext_noop("Delivery point"),
    gettext_noop("Cancel"),
    gettext_noop("Nations"),
    gettext_noop("Code"),
    gettext_noop("Name"),
    gettext_noop("Role in the coalition"),
    gettext_noop("Organisations"),
    gettext_noop("Nation"),
    gettext_noop("Kind"),
    gettext_noop("Item categories"),
    gettext_noop("Domain"),
    gettext_noop("Unit"),
    gettext_noop("NSC"),
    gettext_noop("Sensitive"),
    gettext_noop("Locations"),
    gettext_noop("Capability coalitions"),
    gettext_noop("Lead nations"),
    gettext_noop("Capabilities"),
    gettext_noop("Coalition"),
    gettext_noop("Users and roles"),
    gettext_noop("User"),
    gettext_noop("Role"),
    gettext_noop("Acts for"),
    gettext_noop("Active"),
)

# Detail fields that are no model field (a reverse relation, a method): their names, spaced.
DETAIL_LABELS = (
    gettext_noop("capacities"),
    gettext_noop("get full name"),
    gettext_noop("served by"),
    gettext_noop("stock numbers"),
)

# Django's own label for an empty choice (BLANK_CHOICE_LABEL, new in Django 6), which its
# Ukrainian catalogue does not translate yet: ours does.
DJANGO = (gettext_noop("- Select an option -"),)
