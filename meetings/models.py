"""Meetings, invitations, agenda items, opinions, decisions and calendar tokens."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 10_000
PLACE_MAX_LENGTH = 200
VIDEO_URL_MAX_LENGTH = 500
ARGUMENT_MAX_LENGTH = 1_000
DECISION_MAX_LENGTH = 2_000
DECISION_COMMENT_MAX_LENGTH = 1_000
SYNTHESIS_MAX_LENGTH = 10_000


class Meeting(models.Model):
    class Status(models.TextChoices):
        PREPARATION = "preparation", _("En préparation")
        HELD = "held", _("Tenue")
        CLOSED = "closed", _("Clôturée")

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("titre"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=PLACE_MAX_LENGTH, blank=True)
    video_url = models.URLField(
        _("lien de visioconférence"), max_length=VIDEO_URL_MAX_LENGTH, blank=True
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organised_meetings"
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.PREPARATION
    )
    members_may_add_items = models.BooleanField(
        _("les participants peuvent ajouter des points"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change a calendar application must pick up (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    minutes_post = models.ForeignKey(
        "social.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        indexes = [models.Index(fields=["group", "-starts_at", "-id"], name="meeting_by_group")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["preparation", "held", "closed"]),
                name="meeting_status_known",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        try:
            return reverse("meetings:detail", args=[self.pk])
        except NoReverseMatch:  # the pages are not mounted yet: the address they will have
            return f"/meetings/{self.pk}/"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Invitation(models.Model):
    """A participant of a meeting (the organiser has one too) and their preparation."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    ready_at = models.DateTimeField(null=True, blank=True)
    agenda_read_at = models.DateTimeField(null=True, blank=True)
    # Recorded by the organiser during or after the meeting; None: not recorded yet.
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meeting_invitation_unique")
        ]
        indexes = [models.Index(fields=["user", "meeting"], name="meeting_invitation_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → meeting {self.meeting_id}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    title = models.CharField(_("titre"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The organiser's own wording; blank: the generated synthesis is shown.
    synthesis_text = models.TextField(max_length=SYNTHESIS_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_item_position")
        ]

    def __str__(self) -> str:
        return self.title


class Position(models.TextChoices):
    FOR = "pour", _("Pour")
    AGAINST = "contre", _("Contre")
    RESERVED = "reserve", _("Réservé")
    NO_OPINION = "sans_avis", _("Sans avis")


class Opinion(models.Model):
    """A participant's current position on an item; earlier ones are kept in OpinionChange."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="opinions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.CharField(_("position"), max_length=10, choices=Position.choices)
    argument = models.TextField(_("argument"), max_length=ARGUMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "updated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="opinion_unique"),
            models.CheckConstraint(
                condition=Q(position__in=["pour", "contre", "reserve", "sans_avis"]),
                name="opinion_position_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on item {self.item_id}: {self.position}"


class OpinionChange(models.Model):
    """Every position given, in order: the history behind the current Opinion."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.CharField(max_length=10, choices=Position.choices)
    argument = models.TextField(max_length=ARGUMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item", "user", "created_at"], name="opinion_history")]

    def __str__(self) -> str:
        return f"{self.user_id} on item {self.item_id}: {self.position}"


class Decision(models.Model):
    """A decision of a meeting, with an owner and a due date: action items are decisions."""

    class Status(models.TextChoices):
        TODO = "a_faire", _("À faire")
        IN_PROGRESS = "en_cours", _("En cours")
        DONE = "fait", _("Fait")
        ABANDONED = "abandonne", _("Abandonné")

    OPEN = (Status.TODO, Status.IN_PROGRESS)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    text = models.TextField(_("décision"), max_length=DECISION_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_decisions",
        verbose_name=_("responsable"),
    )
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.TODO
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        indexes = [
            models.Index(fields=["meeting", "created_at"], name="decision_by_meeting"),
            models.Index(fields=["owner", "status"], name="decision_by_owner"),
            models.Index(fields=["status", "due_on"], name="decision_by_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["a_faire", "en_cours", "fait", "abandonne"]),
                name="decision_status_known",
            )
        ]

    def __str__(self) -> str:
        return f"Decision {self.pk} of meeting {self.meeting_id}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_on is not None
            and self.status in self.OPEN
            and self.due_on < timezone.localdate()
        )


class DecisionUpdate(models.Model):
    """A change of a decision's status, with its author's comment (the follow-up log)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Decision.Status.choices)
    comment = models.TextField(max_length=DECISION_COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Update of decision {self.decision_id}"


class CalendarToken(models.Model):
    """A private calendar feed address. Only a SHA-256 digest is stored; revocable."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Calendar token {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
