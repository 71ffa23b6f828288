"""Forms of the group pages: create and edit, members, invitations, the invitation link."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groups.models import Group, Membership
from groups.services import GROUP_FIELDS

IMAGE_TYPES = "image/jpeg,image/png,image/gif,image/webp"


class GroupForm(forms.ModelForm):
    """Parses the fields; the rules (name required, external members) live in the services."""

    avatar = forms.FileField(
        label=_("Image du groupe"),
        required=False,
        help_text=_("JPEG, PNG, GIF ou WebP, 5 Mo au plus. Elle sera recadrée en carré."),
        widget=forms.FileInput(attrs={"accept": IMAGE_TYPES}),
    )
    remove_avatar = forms.BooleanField(label=_("Retirer l'image actuelle"), required=False)

    class Meta:
        model = Group
        fields = GROUP_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
            "charter": forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
            "visibility": forms.RadioSelect,
        }
        help_texts = {
            "visibility": _(
                "Public : tous les agents et élus le voient et le rejoignent. Privé : visible "
                "dans la liste, contenu réservé aux membres, adhésion sur demande. Non listé : "
                "invisible sauf pour ses membres, adhésion sur invitation."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not (self.instance.pk and self.instance.avatar):
            del self.fields["remove_avatar"]

    def _post_clean(self) -> None:
        # The services validate the whole group (and say it in French); the form only parses.
        pass

    def group_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in GROUP_FIELDS}


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=Membership.Role.choices)


class MembershipEndForm(forms.Form):
    ends_on = forms.DateField(
        label=_("Fin d'accès"),
        required=False,
        help_text=_("L'accès prend fin à la fin de ce jour. Laissez vide pour ne pas limiter."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de la personne à inviter"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class CharterMixin(forms.Form):
    accept_charter = forms.BooleanField(
        label=_("J'ai lu et j'accepte la charte du groupe"),
        error_messages={
            "required": _("Vous devez accepter la charte du groupe pour le rejoindre.")
        },
    )

    def __init__(self, *args, charter_required: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not charter_required:
            del self.fields["accept_charter"]


class AcceptInvitationForm(CharterMixin):
    pass


class InvitationSignupForm(CharterMixin):
    """A newcomer's account, created from the invitation link (the address is the invited one)."""

    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=120,
        help_text=_("Votre prénom et votre nom, tels que vos collègues les verront."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=150,
        help_text=_("Votre start-up ou votre structure ; elle s'affiche à côté de votre nom."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    password1 = forms.CharField(
        label=_("Mot de passe"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Mot de passe (à nouveau)"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["display_name", "organisation", "password1", "password2", "accept_charter"]

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kind != User.Kind.EXTERNAL:
            del self.fields["organisation"]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez votre nom."))
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return cleaned
