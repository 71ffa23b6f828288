"""Consultation spaces, citizens' contributions and everything that follows them up."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 200
CONTRIBUTION_TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5_000
COMMENT_MAX_LENGTH = 2_000
REASON_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 5_000
ANSWER_MAX_LENGTH = 5_000
PLACE_MAX_LENGTH = 200
MAX_PHOTOS = 3
PSEUDONYM = _("un habitant")

DEFAULT_CATEGORIES = [
    "voirie",
    "propreté",
    "sécurité",
    "éclairage",
    "transports",
    "commerces",
    "espaces verts",
    "autre",
]


class ModerationState(models.TextChoices):
    PENDING = "pending", _("En attente de modération")
    PUBLISHED = "published", _("Publiée")
    HIDDEN = "hidden", _("Masquée")


class HiddenReason(models.TextChoices):
    OFF_CHARTER = "hors charte", _("hors charte")
    ABUSIVE = "propos injurieux", _("propos injurieux")
    PERSONAL_DATA = "données personnelles", _("données personnelles")
    DUPLICATE = "doublon", _("doublon")
    OFF_TOPIC = "hors sujet", _("hors sujet")


class Service(models.Model):
    """An internal service of the agency or the city that requests are routed to."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    email = models.EmailField(_("adresse e-mail"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class AnswerTemplate(models.Model):
    """A reusable answer of a service; placeholders {titre} {quartier} {date_visite} {service}."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="templates")
    title = models.CharField(_("titre"), max_length=120)
    body = models.TextField(_("texte"), max_length=ANSWER_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["service", "title"]
        verbose_name = _("modèle de réponse")
        verbose_name_plural = _("modèles de réponse")

    def __str__(self) -> str:
        return self.title


class ForbiddenWord(models.Model):
    """A word that sends a contribution or comment to the moderation queue (with the setting)."""

    word = models.CharField(_("mot"), max_length=60, unique=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("mot interdit")
        verbose_name_plural = _("mots interdits")

    def __str__(self) -> str:
        return self.word


class Consultation(models.Model):
    class Moderation(models.TextChoices):
        A_PRIORI = "a_priori", _("a priori (publiée après validation)")
        A_POSTERIORI = "a_posteriori", _("a posteriori (publiée tout de suite)")

    class State(models.TextChoices):
        UPCOMING = "upcoming", _("à venir")
        OPEN = "open", _("ouverte")
        CLOSED = "closed", _("close")

    title = models.CharField(_("titre"), max_length=TITLE_MAX_LENGTH)
    slug = models.SlugField(_("adresse"), max_length=80, unique=True)
    neighbourhoods = models.CharField(
        _("quartiers"), max_length=300, help_text=_("Séparés par des virgules.")
    )
    theme = models.CharField(_("thème"), max_length=120, blank=True)
    description = models.TextField(_("description"), max_length=BODY_MAX_LENGTH, blank=True)
    description_html = models.TextField(blank=True, editable=False)
    officials = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="visits", blank=True, verbose_name=_("élus")
    )
    visit_date = models.DateField(_("date de la visite"), null=True, blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    moderation = models.CharField(
        _("modération"), max_length=12, choices=Moderation.choices, default=Moderation.A_POSTERIORI
    )
    services = models.ManyToManyField(Service, related_name="consultations", blank=True)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="moderated_consultations", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    report_text = models.TextField(_("compte rendu"), max_length=20_000, blank=True)
    report_html = models.TextField(blank=True, editable=False)
    report_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="consultation_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(moderation__in=["a_priori", "a_posteriori"]),
                name="consultation_moderation_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def state_at(self, now: datetime | None = None) -> str:
        """À venir, ouverte or close at `now` (default: now)."""
        now = now or timezone.now()
        if now < self.opens_at:
            return self.State.UPCOMING
        if now < self.closes_at:
            return self.State.OPEN
        return self.State.CLOSED

    @property
    def state(self) -> str:
        return self.state_at()

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def neighbourhood_list(self) -> list[str]:
        return [n.strip() for n in self.neighbourhoods.split(",") if n.strip()]


class Category(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("nom"), max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["consultation", "position", "id"]
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        REQUEST = "demande", _("Demande")
        IDEA = "idee", _("Idée")
        REPORT = "signalement", _("Signalement")

    class Status(models.TextChoices):
        RECEIVED = "recu", _("Reçu")
        IN_PROGRESS = "en_cours", _("En cours")
        DONE = "traite", _("Traité")
        REJECTED = "rejete", _("Rejeté")
        CLOSED = "clos", _("Clos")

    # Only demandes and signalements are followed up with a status.
    FOLLOWED_KINDS = (Kind.REQUEST, Kind.REPORT)

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="contributions"
    )
    # NULL once the citizen deleted their account: shown as « un habitant » (RGPD).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=CONTRIBUTION_TITLE_MAX_LENGTH)
    body = models.TextField(_("texte"), max_length=BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="contributions")
    place = models.CharField(_("lieu"), max_length=PLACE_MAX_LENGTH, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    moderation_state = models.CharField(
        max_length=10, choices=ModerationState.choices, default=ModerationState.PUBLISHED
    )
    hidden_reason = models.CharField(
        _("motif de masquage"), max_length=30, choices=HiddenReason.choices, blank=True
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, blank=True)
    rejection_reason = models.CharField(
        _("motif du rejet"), max_length=REASON_MAX_LENGTH, blank=True
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    quick_win = models.BooleanField(_("traitable avant la visite"), default=False)
    target_date = models.DateField(_("date cible"), null=True, blank=True)
    internal_post = models.ForeignKey(
        "social.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_contributions",
    )
    support_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        indexes = [
            models.Index(fields=["consultation", "moderation_state", "-created_at"]),
            models.Index(fields=["consultation", "-support_count"]),
            models.Index(fields=["author", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["question", "demande", "idee", "signalement"]),
                name="contribution_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(moderation_state__in=["pending", "published", "hidden"]),
                name="contribution_moderation_known",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["demande", "signalement"]) & ~Q(status=""))
                | (Q(kind__in=["question", "idee"]) & Q(status="")),
                name="contribution_status_for_requests",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejete") | ~Q(rejection_reason=""),
                name="contribution_rejection_reasoned",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="contribution_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def author_display(self) -> str:
        return self.author.display_name if self.author_id else str(PSEUDONYM)

    @property
    def is_request(self) -> bool:
        return self.kind in self.FOLLOWED_KINDS

    @property
    def is_published(self) -> bool:
        return self.moderation_state == ModerationState.PUBLISHED


class ContributionPhoto(models.Model):
    """A photo re-encoded without any metadata, stored privately (`files` storage)."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="photos")
    key = models.CharField(max_length=200, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["contribution", "id"]

    def __str__(self) -> str:
        return self.key


class Support(models.Model):
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="supports"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultation_supports"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contribution", "user"], name="support_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.contribution_id}"


class ConsultationComment(models.Model):
    """A comment on a contribution.

    Separate from social.Comment on purpose: citizens must never touch the social app (its
    policy, feeds, mentions and people), so consultations keep their own plain-text comments.
    """

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_comments",
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    moderation_state = models.CharField(
        max_length=10, choices=ModerationState.choices, default=ModerationState.PUBLISHED
    )
    hidden_reason = models.CharField(max_length=30, choices=HiddenReason.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(moderation_state__in=["pending", "published", "hidden"]),
                name="consultation_comment_moderation_known",
            )
        ]

    def __str__(self) -> str:
        return self.body[:50]

    @property
    def author_display(self) -> str:
        return self.author.display_name if self.author_id else str(PSEUDONYM)


def _one_target() -> Q:
    return Q(contribution__isnull=False, comment__isnull=True) | Q(
        contribution__isnull=True, comment__isnull=False
    )


class Report(models.Model):
    """Somebody flagged a contribution or a comment for the moderators."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    comment = models.ForeignKey(
        ConsultationComment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="consultation_reports",
    )
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=_one_target(), name="report_one_target")]

    def __str__(self) -> str:
        return self.reason[:50]


class ModerationDecision(models.Model):
    """The log: every approval, hiding and restoration, with who, when and why."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approuvée")
        HIDE = "hide", _("Masquée")
        RESTORE = "restore", _("Rétablie")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, null=True, blank=True, related_name="decisions"
    )
    comment = models.ForeignKey(
        ConsultationComment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=_one_target(), name="decision_one_target")]

    def __str__(self) -> str:
        return self.action


class StatusChange(models.Model):
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=10, choices=Contribution.Status.choices)
    to_status = models.CharField(max_length=10, choices=Contribution.Status.choices)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class InternalNote(models.Model):
    """Staff's notes on a request: never shown to citizens."""

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="internal_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class OfficialAnswer(models.Model):
    """The public answer to a contribution, signed by a service or an official."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_by = models.CharField(_("signé par"), max_length=150)
    text = models.TextField(max_length=ANSWER_MAX_LENGTH)
    text_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.signed_by
