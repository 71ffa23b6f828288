"""Forms of the staff pages of consultations: they parse and render; the rules live in
consultations.services."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from consultations.models import (
    ANSWER_MAX_LENGTH,
    BODY_MAX_LENGTH,
    DEFAULT_CATEGORIES,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
    Consultation,
    Contribution,
    HiddenReason,
    Service,
)
from groups.models import Group

CATEGORY_MAX_LENGTH = 60
MAX_CATEGORIES = 30
REPORT_MAX_LENGTH = 20_000
BULK_MAX = 200
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _person_label(user: User) -> str:
    return f"{user.display_name} (@{user.handle})"


def _datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text=_("Date et heure, par exemple 2026-12-01T09:00."),
    )


def officials_choices() -> QuerySet[User]:
    """Who may visit: active elected officials."""
    return User.objects.filter(kind=User.Kind.ELECTED, is_active=True).order_by(
        "display_name", "pk"
    )


def moderator_choices() -> QuerySet[User]:
    """Who may moderate: active agency staff."""
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("display_name", "pk")


class _PrefixedIds(forms.Form):
    """The staff forms: prefixed ids (several small forms share the contribution page, their
    ids must not collide) and labels without a trailing colon."""

    id_prefix = ""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s" if self.id_prefix else "id_%s")
        # Labels are read out as they are written (no « : » appended).
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ConsultationForm(_PrefixedIds):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX_LENGTH)
    neighbourhoods = forms.CharField(
        label=_("Quartiers"), max_length=300, help_text=_("Séparés par des virgules.")
    )
    theme = forms.CharField(label=_("Thème"), max_length=120, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown simple accepté (gras, italique, listes, liens)."),
    )
    officials = forms.ModelMultipleChoiceField(
        label=_("Élus qui feront la visite"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visit_date = forms.DateField(
        label=_("Date de la visite"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    opens_at = _datetime_field(_("Ouverture des contributions"))
    closes_at = _datetime_field(_("Clôture des contributions"))
    moderation = forms.ChoiceField(
        label=_("Modération"),
        choices=Consultation.Moderation.choices,
        widget=forms.RadioSelect,
        initial=Consultation.Moderation.A_POSTERIORI,
    )
    categories = forms.CharField(
        label=_("Catégories"),
        max_length=MAX_CATEGORIES * (CATEGORY_MAX_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Une par ligne."),
        initial="\n".join(DEFAULT_CATEGORIES),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services destinataires des demandes"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    moderators = forms.ModelMultipleChoiceField(
        label=_("Modérateurs"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Des agents de l'agence."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officials"].queryset = officials_choices()
        self.fields["officials"].label_from_instance = _person_label
        self.fields["moderators"].queryset = moderator_choices()
        self.fields["moderators"].label_from_instance = _person_label
        self.fields["services"].queryset = Service.objects.order_by("name")
        if editing:
            # Categories stay once contributions use them (the service keeps them).
            del self.fields["categories"]

    @classmethod
    def initial_for(cls, consultation: Consultation) -> dict:
        return {
            "title": consultation.title,
            "neighbourhoods": consultation.neighbourhoods,
            "theme": consultation.theme,
            "description": consultation.description,
            "officials": list(consultation.officials.all()),
            "visit_date": consultation.visit_date,
            "opens_at": consultation.opens_at,
            "closes_at": consultation.closes_at,
            "moderation": consultation.moderation,
            "services": list(consultation.services.all()),
            "moderators": list(consultation.moderators.all()),
        }

    def clean_categories(self) -> list[str]:
        names = [" ".join(line.split()) for line in self.cleaned_data["categories"].splitlines()]
        names = list(dict.fromkeys(n for n in names if n))
        if not names:
            raise ValidationError(_("Indiquez au moins une catégorie."))
        if len(names) > MAX_CATEGORIES:
            raise ValidationError(
                _("%(max)s catégories au plus.") % {"max": MAX_CATEGORIES}, code="too_many"
            )
        too_long = [n for n in names if len(n) > CATEGORY_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                _("« %(name)s » dépasse %(max)s caractères.")
                % {"name": too_long[0][:80], "max": CATEGORY_MAX_LENGTH}
            )
        return names

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("La clôture doit suivre l'ouverture."))
        return data


class ReportForm(_PrefixedIds):
    report = forms.CharField(
        label=_("Compte rendu de la visite"),
        max_length=REPORT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Ce qui a été entendu, ce qui sera fait. Public : publié sur la page de la "
            "consultation. Markdown simple accepté."
        ),
    )


class HideForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Motif public du masquage"),
        choices=[("", _("Choisissez un motif")), *HiddenReason.choices],
    )


class ModerationForm(forms.Form):
    """One decision on a contribution or a comment (the buttons carry `action`)."""

    action = forms.ChoiceField(
        choices=[("approve", "approve"), ("hide", "hide"), ("restore", "restore")]
    )
    reason = forms.ChoiceField(choices=[("", ""), *HiddenReason.choices], required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "hide" and not data.get("reason"):
            self.add_error("reason", _("Choisissez un motif de masquage."))
        return data


class TriageFilterForm(_PrefixedIds):
    """The triage page's filters (GET): unknown values are ignored, never an error."""

    id_prefix = "filter"

    sort = forms.ChoiceField(
        label=_("Trier par"),
        choices=[
            ("age", _("Ancienneté (les plus anciennes d'abord)")),
            ("supports", _("Soutiens")),
        ],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Statut"), choices=[("", _("Tous")), *Contribution.Status.choices], required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("Tous")
    )
    category = forms.ModelChoiceField(
        label=_("Catégorie"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Toutes"),
    )
    quick_win = forms.ChoiceField(
        label=_("Traitable avant la visite"),
        choices=[("", _("Toutes")), ("oui", _("Oui")), ("non", _("Non"))],
        required=False,
    )

    def __init__(self, *args, services, categories, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["category"].queryset = categories

    def values(self) -> dict:
        """The valid filters (an invalid one is dropped, the others still apply)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        quick = data.get("quick_win")
        return {
            "sort": data.get("sort") or "age",
            "status": data.get("status") or None,
            "service": data["service"].pk if data.get("service") else None,
            "category": data["category"].pk if data.get("category") else None,
            "quick_win": {"oui": True, "non": False}.get(quick or ""),
        }


class BulkForm(_PrefixedIds):
    """Route or change the status of the checked requests (all or nothing)."""

    id_prefix = "bulk"

    ids = forms.TypedMultipleChoiceField(
        label=_("Demandes sélectionnées"), coerce=int, choices=(), required=False
    )
    operation = forms.ChoiceField(
        label=_("Action groupée"),
        choices=[
            ("", _("Choisissez")),
            ("route", _("Orienter vers un service")),
            ("status", _("Changer le statut")),
        ],
    )
    service = forms.ModelChoiceField(
        label=_("Service destinataire"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("—"),
    )
    status = forms.ChoiceField(
        label=_("Nouveau statut"),
        choices=[("", _("—")), *Contribution.Status.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Motif (obligatoire pour un rejet)"), max_length=REASON_MAX_LENGTH, required=False
    )

    def __init__(self, *args, services, request_ids, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["ids"].choices = [(pk, pk) for pk in request_ids]
        self.fields["ids"].error_messages["invalid_choice"] = _(
            "Une demande sélectionnée n'existe pas ou n'appartient pas à cette consultation : "
            "rien n'a été modifié."
        )

    def clean(self):
        data = super().clean()
        ids = data.get("ids")
        if "ids" in data and not ids:
            self.add_error("ids", _("Cochez au moins une demande."))
        elif ids and len(ids) > BULK_MAX:
            self.add_error("ids", _("%(max)s demandes au plus à la fois.") % {"max": BULK_MAX})
        operation = data.get("operation")
        if operation == "route" and not data.get("service"):
            self.add_error("service", _("Choisissez le service."))
        if operation == "status" and not data.get("status"):
            self.add_error("status", _("Choisissez le nouveau statut."))
        return data


class RouteForm(_PrefixedIds):
    id_prefix = "route"

    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), empty_label=_("Choisissez")
    )

    def __init__(self, *args, services, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class StatusForm(_PrefixedIds):
    id_prefix = "status"

    status = forms.ChoiceField(label=_("Nouveau statut"), choices=())
    reason = forms.CharField(
        label=_("Motif (obligatoire pour un rejet, visible par l'habitant)"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, allowed: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Choisissez")),
            *((s, Contribution.Status(s).label) for s in allowed),
        ]


class NoteForm(_PrefixedIds):
    id_prefix = "note"

    text = forms.CharField(
        label=_("Note interne"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible des seuls agents : jamais montrée aux habitants."),
    )


class AnswerForm(_PrefixedIds):
    id_prefix = "answer"

    text = forms.CharField(
        label=_("Réponse officielle (publique)"),
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Publiée sous la contribution ; l'habitant est prévenu. Markdown simple."),
    )
    signed_by = forms.CharField(
        label=_("Signature"),
        max_length=150,
        required=False,
        help_text=_("Par défaut, le service destinataire."),
    )


class QuickWinForm(_PrefixedIds):
    id_prefix = "quickwin"

    quick_win = forms.BooleanField(label=_("Traitable avant la visite"), required=False)
    target_date = forms.DateField(
        label=_("Date cible"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean()
        if data.get("quick_win") and not data.get("target_date"):
            self.add_error("target_date", _("Indiquez une date cible."))
        return data


class DiscussForm(_PrefixedIds):
    id_prefix = "discuss"

    group = forms.ModelChoiceField(
        label=_("Groupe interne"), queryset=Group.objects.none(), empty_label=_("Choisissez")
    )

    def __init__(self, *args, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
