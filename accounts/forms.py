"""Forms: citizen sign-up extras, profile editing, API tokens."""

from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import PROFILE_FIELDS


def _consent_label() -> str:
    return format_html(
        '{} <a href="{}">{}</a>',
        _("J'ai lu et j'accepte la"),
        reverse_lazy("privacy"),
        _("politique de protection des données personnelles"),
    )


class CitizenSignupForm(forms.Form):
    """Added to allauth's sign-up form; the adapter turns the account into a citizen's."""

    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=120,
        help_text=_("Visible à côté de vos contributions. Un prénom et une initiale suffisent."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=lazy(_consent_label, str)(),
        error_messages={"required": _("Vous devez accepter la politique de confidentialité.")},
    )

    def signup(self, request, user: User) -> None:
        """Required by allauth; the adapter has already set every field."""


class ProfileForm(forms.ModelForm):
    avatar = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG, GIF ou WebP, 5 Mo au plus. Elle sera recadrée en carré."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )

    class Meta:
        model = User
        fields = PROFILE_FIELDS
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "bio": forms.Textarea(attrs={"rows": 4}),
        }


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=100,
        help_text=_("Pour vous rappeler à quoi il sert, par exemple « tableur de suivi »."),
    )
