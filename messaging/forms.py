"""Forms of the messaging pages: they parse and render; the rules live in messaging.services."""

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from files import selectors as file_selectors
from messaging.models import MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH

# Files offered in the composer's list without JavaScript: the author's most recent ones.
RECENT_FILES = 20
_FILE_ID = re.compile(r"[0-9]{1,18}")


class FileIdsField(forms.MultipleChoiceField):
    """Ids of files to send with the message. The options are the author's recent files, but
    any well-formed id is accepted here (a file uploaded with JavaScript arrives as a hidden
    input): files.selectors.attachable_files, called by the view, decides which are theirs."""

    default_error_messages = {
        "invalid": _("Un fichier joint n’est pas valide : choisissez-le de nouveau."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str | int) and _FILE_ID.fullmatch(str(v)) for v in values):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(int(v) for v in values))

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


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
    attachments = FileIdsField(
        label=_("Joindre de vos fichiers"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_(
            "Vos fichiers les plus récents. Maintenez Ctrl (ou Cmd) pour en choisir plusieurs. "
            "Ils seront visibles par les participants de la conversation."
        ),
    )

    def __init__(self, *args, author=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].choices = _recent_files(author)


def _recent_files(author) -> list[tuple[int, str]]:
    """The options of the no-JS list: one query."""
    if author is None:
        return []
    return list(file_selectors.owned_by(author).values_list("pk", "name")[:RECENT_FILES])


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
