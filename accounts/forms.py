"""Forms: citizen sign-up extras, profile editing, API tokens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notice import notice_html
from accounts.services import (
    DELETE_CONFIRMATION_MAX_LENGTH,
    PROFILE_FIELDS,
    delete_confirmation_word,
)

NOTICE_LABEL = _("J'ai lu la notice d'information sur le traitement de mes données")


class CitizenSignupForm(forms.Form):
    """Added to allauth's sign-up form; the adapter turns the account into a citizen's.

    The processing notice is the checkbox's help text, so it sits right under the box and
    screen readers announce it with it (aria-describedby)."""

    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=120,
        help_text=_(
            "Visible à côté de vos contributions. Un pseudonyme convient : vous n'êtes pas "
            "obligé de donner votre vrai nom."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    consent = forms.BooleanField(
        label=NOTICE_LABEL,
        help_text=notice_html(),
        error_messages={
            "required": _(
                "Cochez la case « J'ai lu la notice d'information » : sans cela, le compte ne "
                "peut pas être créé."
            )
        },
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


class DeleteAccountForm(forms.Form):
    """Confirm the deletion of one's account: the password, or the word DELETE_CONFIRMATION (in
    the page's language) for an account without a password."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        max_length=4096,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirmation = forms.CharField(
        max_length=DELETE_CONFIRMATION_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # One way to confirm, not both: the password when there is one.
        if user.has_usable_password():
            del self.fields["confirmation"]
            self.fields["password"].required = True
            self.fields["password"].error_messages["required"] = _(
                "Indiquez votre mot de passe pour confirmer la suppression."
            )
        else:
            # The word of the language the page is shown in (built per request).
            word = {"word": delete_confirmation_word()}
            del self.fields["password"]
            field = self.fields["confirmation"]
            field.required = True
            field.label = _("Tapez %(word)s pour confirmer") % word
            field.help_text = (
                _(
                    "Le mot %(word)s, en majuscules ou en minuscules : votre compte n'a pas de mot "
                    "de passe."
                )
                % word
            )
            field.error_messages["required"] = (
                _("Tapez %(word)s pour confirmer la suppression.") % word
            )
