"""Users (e-mail login, kind of user, directory profile), organisations and API tokens."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HANDLE_MAX_LENGTH = 30
handle_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$",
    _(
        "L'identifiant ne peut contenir que des lettres minuscules non accentuées, des chiffres, "
        "des points et des tirets, et doit commencer et finir par une lettre ou un chiffre."
    ),
)


class Organisation(models.Model):
    class Type(models.TextChoices):
        AGENCY = "agency", _("Agence")
        STARTUP = "startup", _("Start-up incubée")
        PARTNER = "partner", _("Partenaire")

    name = models.CharField(_("nom"), max_length=150, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    website = models.URLField(_("site web"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_superuser", False)
        fields.setdefault("is_staff", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_superuser=True, is_staff=True, kind=User.Kind.STAFF)
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. `kind` decides what they may see; `is_staff` only opens Django's admin."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Agent de l'agence")
        ELECTED = "elected", _("Élu")
        EXTERNAL = "external", _("Membre externe")
        CITIZEN = "citizen", _("Citoyen")

    email = models.EmailField(_("adresse e-mail"), max_length=254, unique=True)
    handle = models.CharField(
        _("identifiant"),
        max_length=HANDLE_MAX_LENGTH,
        unique=True,
        validators=[handle_validator],
        help_text=_("Utilisé pour les mentions, par exemple @agent2."),
    )
    kind = models.CharField(_("type de compte"), max_length=10, choices=Kind.choices)
    display_name = models.CharField(_("nom affiché"), max_length=120)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    job_title = models.CharField(_("fonction"), max_length=120, blank=True)
    department = models.CharField(_("service"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    bio = models.TextField(_("présentation"), max_length=1000, blank=True)
    expertise = models.CharField(
        _("domaines d'expertise"),
        max_length=500,
        blank=True,
        help_text=_("Séparés par des virgules."),
    )
    avatar = models.FileField(_("photo"), upload_to="avatars/", blank=True, max_length=200)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # What a self-registered citizen accepted at sign-up (RGPD): when, and which version of
    # the processing notice (accounts.notice.NOTICE_VERSION). Empty for invited accounts.
    notice_accepted_at = models.DateTimeField(
        _("notice d'information acceptée le"), null=True, blank=True, editable=False
    )
    notice_version = models.CharField(
        _("version de la notice d'information"), max_length=20, blank=True, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["handle", "display_name"]

    class Meta:
        ordering = ["display_name", "id"]
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        indexes = [models.Index(fields=["display_name", "id"], name="user_directory_order")]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["staff", "elected", "external", "citizen"]),
                name="user_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_internal(self) -> bool:
        return self.kind in (self.Kind.STAFF, self.Kind.ELECTED)

    @property
    def is_external(self) -> bool:
        return self.kind == self.Kind.EXTERNAL

    @property
    def is_citizen(self) -> bool:
        return self.kind == self.Kind.CITIZEN

    @property
    def expertise_list(self) -> list[str]:
        return [item.strip() for item in self.expertise.split(",") if item.strip()]


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
