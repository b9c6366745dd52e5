"""Strings other modules show through ``{% trans variable %}`` (navigation, register titles and
column labels), marked here so that ``makemessages`` collects them for translation."""

from django.utils.translation import gettext_noop

NAV_LABELS = [
    gettext_noop("Home"),
    gettext_noop("Requirements"),
    gettext_noop("Pledges"),
    gettext_noop("Allocation"),
    gettext_noop("Allocations"),
    gettext_noop("Shipments"),
    gettext_noop("Inventory"),
    gettext_noop("Delays"),
    gettext_noop("Hubs"),
    gettext_noop("Late shipments"),
    gettext_noop("Audit trail"),
    gettext_noop("Categories"),
    gettext_noop("Locations"),
    gettext_noop("Capabilities"),
    gettext_noop("Coalitions"),
    gettext_noop("Nations"),
    gettext_noop("Organisations"),
    gettext_noop("Users"),
    gettext_noop("Training"),
    gettext_noop("Training schedule"),
    gettext_noop("Training sites"),
    gettext_noop("Courses"),
    gettext_noop("Cohorts"),
    gettext_noop("Readiness"),
    gettext_noop("Import"),
    gettext_noop("Export"),
    gettext_noop("API"),
    gettext_noop("API tokens"),
]

ROLE_SUMMARIES = [
    gettext_noop("sees everything, runs allocations, plans shipments and training"),
    gettext_noop("registers its nation's pledges; sees only its own nation's"),
    gettext_noop("registers prioritised requirements and cohorts; confirms receipt"),
    gettext_noop("runs course sessions at its sites"),
    gettext_noop("reads everything, including the audit trail; changes nothing"),
]

COLUMN_LABELS = [
    gettext_noop("Reference"),
    gettext_noop("Donor"),
    gettext_noop("Category"),
    gettext_noop("Quantity"),
    gettext_noop("Allocated"),
    gettext_noop("Available from"),
    gettext_noop("Status"),
    gettext_noop("Priority"),
    gettext_noop("Need by"),
    gettext_noop("Capability"),
    gettext_noop("Delivery point"),
    gettext_noop("Name"),
    gettext_noop("Code"),
    gettext_noop("Kind"),
    gettext_noop("Nation"),
    gettext_noop("Domain"),
]
