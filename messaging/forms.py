"""Forms of the messaging pages: they parse and render; the rules live in messaging.services."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH


class MessageForm(forms.Form):
    """The composer. Without JavaScript the server chooses the idempotency key (hidden field);
    with JavaScript the page sends to the API with a key of its own."""

    body = forms.CharField(
        label=_("Votre message"),
        required=False,
        strip=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_("Entrée pour envoyer, Maj+Entrée pour aller à la ligne. Markdown accepté."),
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class StartForm(forms.Form):
    """A direct conversation (one person) or a group conversation (a title and people)."""

    person = forms.ModelChoiceField(
        label=_("Écrire à"),
        queryset=None,
        required=False,
        empty_label=_("Choisissez une personne"),
    )
    title = forms.CharField(
        label=_("Titre de la conversation de groupe"),
        required=False,
        max_length=TITLE_MAX_LENGTH,
    )
    people = forms.ModelMultipleChoiceField(
        label=_("Participants"),
        queryset=None,
        required=False,
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        people = candidates.order_by("display_name")
        self.fields["person"].queryset = people
        self.fields["people"].queryset = people
        self.fields["person"].label_from_instance = _person_label
        self.fields["people"].label_from_instance = _person_label

    def clean(self):
        data = super().clean()
        if not data.get("person") and not data.get("people"):
            raise forms.ValidationError(
                _("Choisissez une personne, ou des participants pour une conversation de groupe.")
            )
        return data


def _person_label(user) -> str:
    return f"{user.display_name} (@{user.handle})"
