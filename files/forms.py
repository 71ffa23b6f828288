"""Forms of the file pages: they parse and render; the rules live in files.services."""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts import policy as account_policy
from accounts.models import User
from files import policy
from files.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, File

PERSON_MAX_LENGTH = 254


class FileForm(forms.Form):
    """Rename a file, change its description."""

    name = forms.CharField(
        label=_("Nom"),
        max_length=NAME_MAX_LENGTH,
        error_messages={
            "required": _("Donnez un nom au fichier."),
            "max_length": _("Le nom dépasse %(limit_value)d caractères."),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        strip=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facultative : à quoi sert ce document, pour qui."),
        error_messages={"max_length": _("La description dépasse %(limit_value)d caractères.")},
    )


class ShareToGroupForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Groupe"),
        queryset=None,
        to_field_name="slug",
        empty_label=None,
        error_messages={
            "required": _("Choisissez un groupe."),
            "invalid_choice": _("Vous ne pouvez pas partager ce fichier dans ce groupe."),
        },
    )

    def __init__(self, *args, groups: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class ShareToPersonForm(forms.Form):
    """A person the sharer may see, named by @identifiant or e-mail address."""

    person = forms.CharField(
        label=_("Identifiant ou adresse e-mail"),
        max_length=PERSON_MAX_LENGTH,
        help_text=_("Par exemple @prenom.nom, ou prenom.nom@exemple.fr."),
        error_messages={"required": _("Indiquez l'identifiant ou l'adresse e-mail.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, sharer: User, file: File, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sharer, self.file = sharer, file

    def clean_person(self) -> User:
        wanted = self.cleaned_data["person"].replace("\x00", "").strip().removeprefix("@")
        person = (
            account_policy.visible_people(self.sharer)
            .filter(Q(handle__iexact=wanted) | Q(email__iexact=wanted))
            .first()
            if wanted
            else None
        )
        if person is None:
            raise forms.ValidationError(
                _("Personne ne correspond à « %(wanted)s » parmi les personnes que vous voyez."),
                params={"wanted": wanted},
            )
        if not policy.can_share_to_person(self.sharer, person):
            raise forms.ValidationError(
                _("Vous ne pouvez pas partager ce fichier avec %(name)s."),
                params={"name": person.display_name},
            )
        return person
