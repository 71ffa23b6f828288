"""The « Préférences de notification » form: per person, and one frequency per group."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.models import Frequency, Mute


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Langue des e-mails"),
        choices=[("", _("Langue du site")), *settings.LANGUAGES],
        required=False,
    )
    email_mentions = forms.BooleanField(
        label=_("M'écrire aussitôt quand quelqu'un me mentionne"), required=False
    )
    email_messages = forms.BooleanField(
        label=_("M'écrire aussitôt quand je reçois un message hors ligne"), required=False
    )
    default_frequency = forms.ChoiceField(
        label=_("Pour un nouveau groupe"),
        choices=Frequency.choices,
        help_text=_("La fréquence des e-mails d'un groupe que vous n'avez pas encore réglé."),
    )

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.group_fields = []
        for membership in memberships:
            name = f"group_{membership.group_id}"
            self.fields[name] = forms.ChoiceField(
                label=membership.group.name, choices=Frequency.choices
            )
            self.initial.setdefault(name, membership.frequency)
            self.group_fields.append(name)

    def groups(self) -> dict[int, str]:
        return {
            int(name.removeprefix("group_")): self.cleaned_data[name] for name in self.group_fields
        }


class MuteForm(forms.Form):
    kind = forms.ChoiceField(choices=Mute.Kind.choices)
    target = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    # How the button that posted is drawn, to draw it again after an htmx swap: the prefix of
    # its ids (a post may appear twice on a page) and the small style of the feeds' cards.
    scope = forms.RegexField(regex=r"^[a-z]{1,12}$", required=False)
    compact = forms.BooleanField(required=False)
