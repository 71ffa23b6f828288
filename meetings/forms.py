"""Forms of the meeting pages: they parse and render; the rules live in meetings.services."""

from datetime import datetime

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groups.models import Group, Membership
from meetings.models import (
    ARGUMENT_MAX_LENGTH,
    DECISION_COMMENT_MAX_LENGTH,
    DECISION_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    SYNTHESIS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VIDEO_URL_MAX_LENGTH,
    AgendaItem,
    Decision,
    Meeting,
    Position,
)
from social.models import COMMENT_MAX_LENGTH

# Dates outside this range are typing slips (and year 1 would overflow in UTC).
MEETING_YEARS = (2000, 2100)


def _person_label(user: User) -> str:
    label = f"{user.display_name} (@{user.handle})"
    if user.kind == User.Kind.ELECTED:
        label += " — " + str(_("élu·e"))
    return label


def invitable_people(group: Group) -> QuerySet[User]:
    """The people a meeting of `group` may invite (mirror of meetings.policy.may_be_invited):
    the group's members with access today, and elected officials."""
    members = Membership.objects.filter(group=group).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if not group.open_to_external:
        members = members.exclude(user__kind=User.Kind.EXTERNAL)
    return (
        User.objects.filter(Q(pk__in=members.values("user_id")) | Q(kind=User.Kind.ELECTED))
        .filter(is_active=True)
        .exclude(kind=User.Kind.CITIZEN)
        .order_by("display_name", "pk")
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX_LENGTH)
    day = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    starts = forms.TimeField(
        label=_("Heure de début"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=_("Heure de fin"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(
        label=_("Lieu"),
        max_length=PLACE_MAX_LENGTH,
        required=False,
        help_text=_("Un lieu, un lien de visioconférence, ou les deux."),
    )
    video_url = forms.CharField(
        label=_("Lien de visioconférence"),
        max_length=VIDEO_URL_MAX_LENGTH,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=_("Une adresse commençant par https://."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown accepté."),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants invités"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les membres du groupe et les élus. Vous participez en tant qu’organisateur."),
    )
    members_may_add_items = forms.BooleanField(
        label=_("Les participants peuvent ajouter des points à l’ordre du jour"), required=False
    )

    def __init__(
        self, *args, group: Group, organiser: User, meeting: Meeting | None = None, **kwargs
    ) -> None:
        """`meeting`: change that meeting (prefilled; participants are invited separately)."""
        if meeting is not None:
            kwargs.setdefault("initial", self.initial_of(meeting))
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting is not None:
            del self.fields["participants"]
            return
        field = self.fields["participants"]
        field.queryset = invitable_people(group).exclude(pk=organiser.pk)
        field.label_from_instance = _person_label

    @staticmethod
    def initial_of(meeting: Meeting) -> dict:
        starts, ends = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
        return {
            "title": meeting.title,
            "day": starts.date(),
            "starts": starts.time().replace(second=0, microsecond=0),
            "ends": ends.time().replace(second=0, microsecond=0),
            "place": meeting.place,
            "video_url": meeting.video_url,
            "description": meeting.description,
            "members_may_add_items": meeting.members_may_add_items,
        }

    def changes(self) -> dict:
        """The keyword arguments of services.update_meeting (which ignores unchanged values)."""
        data = self.cleaned_data
        fields = ("title", "description", "place", "video_url", "members_may_add_items")
        changes = {name: data[name] for name in fields}
        if "starts_at" in data:
            changes.update(starts_at=data["starts_at"], ends_at=data["ends_at"])
        return changes

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not MEETING_YEARS[0] <= day.year <= MEETING_YEARS[1]:
            raise forms.ValidationError(
                _("Indiquez une date entre %(first)s et %(last)s.")
                % {"first": MEETING_YEARS[0], "last": MEETING_YEARS[1]}
            )
        return day

    def clean(self):
        data = super().clean()
        if self.meeting is not None and not {"day", "starts", "ends"} & set(self.changed_data):
            # The slot is left as it is: one over midnight (made through the API), which this
            # form cannot show, survives a change of title.
            return data
        day, starts, ends = data.get("day"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            zone = timezone.get_current_timezone()
            data["starts_at"] = timezone.make_aware(datetime.combine(day, starts), zone)
            data["ends_at"] = timezone.make_aware(datetime.combine(day, ends), zone)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", _("La réunion doit finir après son début."))
        return data


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Titre du point"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown accepté."),
    )


class MoveForm(forms.Form):
    position = forms.IntegerField(label=_("Nouvelle position"), min_value=0, max_value=10_000)


class OpinionForm(forms.Form):
    position = forms.ChoiceField(
        label=_("Votre position"), choices=Position.choices, widget=forms.RadioSelect
    )
    argument = forms.CharField(
        label=_("Votre argument (facultatif)"),
        max_length=ARGUMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": ARGUMENT_MAX_LENGTH}),
        help_text=_("En quelques phrases : il figurera dans la synthèse."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Votre commentaire"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Markdown accepté, @pseudo pour mentionner."),
    )
    is_question = forms.BooleanField(
        label=_("C’est une question (elle restera ouverte tant que personne n’y a répondu)"),
        required=False,
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class SynthesisForm(forms.Form):
    text = forms.CharField(
        label=_("Synthèse rédigée"),
        max_length=SYNTHESIS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Laissez vide pour revenir à la synthèse générée à partir des avis."),
    )


class AttachForm(forms.Form):
    file = forms.ChoiceField(label=_("Joindre un de vos fichiers"), choices=())

    def __init__(self, *args, choices=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].choices = [("", _("Choisissez un fichier")), *choices]


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("Décision ou action"),
        max_length=DECISION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = forms.ModelChoiceField(
        label=_("Responsable"), queryset=User.objects.none(), empty_label=_("Choisissez")
    )
    due_on = forms.DateField(
        label=_("Échéance (facultative)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    item = forms.ModelChoiceField(
        label=_("Point de l’ordre du jour"),
        queryset=AgendaItem.objects.none(),
        required=False,
        empty_label=_("Aucun en particulier"),
    )

    def __init__(self, *args, meeting: Meeting, owners: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = _person_label
        self.fields["item"].queryset = meeting.items.order_by("position", "id")


class DecisionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=Decision.Status.choices)
    comment = forms.CharField(
        label=_("Commentaire"),
        max_length=DECISION_COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Où en est-on ? Ce commentaire est conservé dans l’historique."),
    )


class RegisterFilterForm(forms.Form):
    """The decisions register's filters (GET): unknown values are ignored, never an error."""

    owner = forms.ModelChoiceField(
        label=_("Responsable"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Tous"),
    )
    status = forms.ChoiceField(
        label=_("Statut"), choices=[("", _("Tous")), *Decision.Status.choices], required=False
    )
    overdue = forms.BooleanField(label=_("En retard seulement"), required=False)

    def __init__(self, *args, owners: QuerySet[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = _person_label
