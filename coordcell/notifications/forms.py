from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Kind


class PreferenceForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("By e-mail"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The kinds not ticked stay in your inbox only."),
    )
    daily_digest = forms.BooleanField(
        label=_("One daily digest instead of a mail for each notice"), required=False
    )
    language = forms.ChoiceField(
        label=_("Language of notifications"),
        choices=[
            ("", _("The installation's default")),
            *((code, _(name)) for code, name in settings.LANGUAGES),
        ],
        required=False,
    )


class InboxFilterForm(forms.Form):
    """The inbox's filters: unread only, one kind. A value outside them is a message (400)."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("all kinds")), *Kind.choices], required=False
    )
    unread = forms.ChoiceField(label=_("Unread only"), choices=[("1", "1")], required=False)
