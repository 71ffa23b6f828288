"""Forms of the public and citizens' consultation pages: they parse and render; the rules (lengths,
categories, photos, rate limits) live in consultations.services, whose French messages win."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consultations.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    CONTRIBUTION_TITLE_MAX_LENGTH,
    MAX_PHOTOS,
    PLACE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Consultation,
    Contribution,
)

PHOTO_TYPES = "image/jpeg,image/png,image/gif,image/webp"
SORT_CHOICES = [("supports", _("les plus soutenues")), ("recent", _("les plus récentes"))]


def _text_field(*, label, limit: int, rows: int, help_text="", required=None) -> forms.CharField:
    # Length (and blank text) is checked by the service, whose messages are the reference; the
    # browser is told the limit so that it never lets more through. An empty field is refused
    # here too, with the service's words, so that one submission lists every missing field.
    return forms.CharField(
        label=label,
        required=required is not None,
        error_messages={"required": required} if required else {},
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": limit, "required": True}),
        help_text=help_text,
    )


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero to a few uploaded files; their number and content are checked by the service."""

    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("%(max)s photos au plus."), code="too_many", params={"max": MAX_PHOTOS}
            )
        return [super(PhotosField, self).clean(f, initial) for f in files]


class ContributionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type de contribution"),
        choices=Contribution.Kind.choices,
        widget=forms.RadioSelect,
        initial=Contribution.Kind.REQUEST,
        help_text=_(
            "Les demandes et les signalements sont suivis par les services, qui vous répondent."
        ),
    )
    title = forms.CharField(
        label=_("Titre"),
        max_length=CONTRIBUTION_TITLE_MAX_LENGTH,
        error_messages={"required": _("Le titre est obligatoire.")},
        widget=forms.TextInput(
            attrs={"maxlength": CONTRIBUTION_TITLE_MAX_LENGTH, "required": True}
        ),
        help_text=_("En quelques mots : « Lampadaire en panne rue de la Gare »."),
    )
    body = _text_field(
        label=_("Votre contribution"),
        limit=BODY_MAX_LENGTH,
        rows=8,
        required=_("Le texte est obligatoire."),
        help_text=_(
            "Texte simple ; vous pouvez utiliser *italique*, **gras**, des listes et des liens. "
            "5 000 caractères au plus. N'indiquez pas de données personnelles (téléphone, "
            "adresse complète)."
        ),
    )
    category = forms.TypedChoiceField(
        label=_("Catégorie"),
        coerce=int,
        empty_value=None,
        error_messages={"required": _("Choisissez une catégorie.")},
    )
    place = forms.CharField(
        label=_("Rue ou lieu (facultatif)"),
        max_length=PLACE_MAX_LENGTH,
        required=False,
        help_text=_("Par exemple « place de l'Europe » ou « angle rue Victor-Hugo »."),
    )
    latitude = forms.CharField(
        label=_("Latitude (facultatif)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Point sur la carte, en degrés décimaux : 48.8566."),
    )
    longitude = forms.CharField(
        label=_("Longitude (facultatif)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("En degrés décimaux : 2.3522."),
    )
    photos = PhotosField(
        label=_("Photos (facultatif)"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": PHOTO_TYPES}),
        help_text=_(
            "3 photos au plus (JPEG, PNG, GIF ou WebP). Leur localisation et leurs "
            "métadonnées sont effacées."
        ),
    )

    def __init__(self, *args, consultation: Consultation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Choisissez une catégorie")),
            *((c.pk, c.name) for c in consultation.categories.all()),
        ]

    def _coordinate(self, name: str) -> str:
        return self.cleaned_data[name].strip().replace(",", ".")

    def clean_latitude(self) -> str:
        return self._coordinate("latitude")

    def clean_longitude(self) -> str:
        return self._coordinate("longitude")

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "body": data["body"],
            "category": data["category"],
            "place": data["place"],
            "latitude": data["latitude"] or None,
            "longitude": data["longitude"] or None,
            "photos": data["photos"],
        }


class CommentForm(forms.Form):
    body = _text_field(
        label=_("Votre commentaire"),
        limit=COMMENT_MAX_LENGTH,
        rows=3,
        help_text=_("Texte simple, 2 000 caractères au plus."),
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du signalement"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX_LENGTH, "required": True}),
        help_text=_("Par exemple : propos injurieux, données personnelles, hors sujet."),
    )


class ContributionFilterForm(forms.Form):
    """The sort and filters of a consultation's contributions (GET); bad values are ignored."""

    sort = forms.ChoiceField(label=_("Trier par"), choices=SORT_CHOICES, required=False)
    category = forms.TypedChoiceField(
        label=_("Catégorie"), coerce=int, empty_value=None, required=False
    )
    status = forms.ChoiceField(label=_("Suivi"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, *args, categories, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Toutes")),
            *((c.pk, c.name) for c in categories),
        ]
        self.fields["status"].choices = [("", _("Tous")), *Contribution.Status.choices]
        self.fields["kind"].choices = [("", _("Tous")), *Contribution.Kind.choices]

    def selection(self) -> dict:
        """The valid part of the query: an unknown value falls back to no filter."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "sort": data.get("sort") or "supports",
            "category": data.get("category"),
            "status": data.get("status") or None,
            "kind": data.get("kind") or None,
        }
