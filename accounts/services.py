"""Writes on accounts: one function per action, each validating and writing atomically."""

import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import avatars, policy, selectors
from accounts.models import HANDLE_MAX_LENGTH, ApiToken, Organisation, User
from accounts.notice import RETENTION_YEARS
from realtime import events

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "mlg_"  # noqa: S105 - a public marker, not a secret
PROFILE_FIELDS = ("display_name", "job_title", "department", "phone", "bio", "expertise")


def handle_from_email(email: str) -> str:
    """A free handle derived from the e-mail's local part: `agent2@…` gives `agent2`."""
    local = unicodedata.normalize("NFKD", email.split("@")[0]).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9.-]+", "-", local.lower()).strip(".-")[: HANDLE_MAX_LENGTH - 4]
    base = base or "membre"
    handle, n = base, 1
    while User.objects.filter(handle=handle).exists():
        n += 1
        handle = f"{base}-{n}"
    return handle


@transaction.atomic
def create_user(
    *,
    email: str,
    kind: str,
    password: str | None = None,
    display_name: str = "",
    organisation: Organisation | None = None,
    handle: str | None = None,
    verified: bool = True,
    **profile: Any,
) -> User:
    """Create an account (admin, command line, demo data, sign-up) with its allauth address."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Adresse e-mail invalide.")}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse e-mail.")})
    if kind not in User.Kind.values:
        raise ValidationError({"kind": _("Type de compte inconnu.")})
    if kind == User.Kind.EXTERNAL and organisation is None:
        raise ValidationError(
            {"organisation": _("Un membre externe doit appartenir à une organisation.")}
        )
    user = User(
        email=email,
        kind=kind,
        display_name=display_name or email.split("@")[0],
        organisation=organisation,
        handle=(handle or handle_from_email(email)).lower(),
        **profile,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


@transaction.atomic
def update_profile(*, actor: User, user: User, data: dict[str, Any]) -> User:
    """Change the directory fields of one's own profile; unknown keys are refused."""
    if actor.pk != user.pk:
        raise PermissionDenied
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("Champs non modifiables : %s.") % ", ".join(sorted(unknown)))
    for field, value in data.items():
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    if not user.display_name:
        raise ValidationError({"display_name": _("Le nom affiché est obligatoire.")})
    user.full_clean()
    user.save(update_fields=[*data.keys()])
    return user


@transaction.atomic
def set_avatar(*, actor: User, user: User, upload) -> User:
    if actor.pk != user.pk:
        raise PermissionDenied
    image = avatars.process_avatar(upload)
    old = user.avatar.name if user.avatar else None
    user.avatar.save(image.name, image, save=False)
    user.save(update_fields=["avatar"])
    if old:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return user


def remove_avatar(*, actor: User, user: User) -> User:
    if actor.pk != user.pk:
        raise PermissionDenied
    if user.avatar:
        user.avatar.delete(save=False)
        user.save(update_fields=["avatar"])
    return user


def token_digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its only clear copy, to show once."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Donnez un nom au jeton, par exemple « script export ».")})
    if len(name) > 100:
        raise ValidationError({"name": _("Le nom du jeton ne peut dépasser 100 caractères.")})
    if not user.is_active:
        raise PermissionDenied
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:8], digest=token_digest(raw)
    )
    return token, raw


def revoke_api_token(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("Ce jeton n'existe pas ou est déjà révoqué."))


def authenticate_token(raw: str) -> User | None:
    """The active owner of an unrevoked token, or None. Marks the token used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user__organisation")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def end_all_sessions(*, user: User) -> int:
    """End every session of the user server-side; returns how many ended."""
    # Every signed-in request is tracked by allauth's user sessions, so this finds them all.
    ended = 0
    for user_session in UserSession.objects.filter(user=user):
        user_session.end()
        ended += 1
    events.disconnect(user.pk)
    return ended


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Close an account: no sign-in, sessions ended, tokens revoked, sockets closed."""
    if not actor.is_superuser:
        raise PermissionDenied
    if actor.pk == user.pk:
        raise ValidationError(_("Vous ne pouvez pas désactiver votre propre compte."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    end_all_sessions(user=user)
    return user


# --- RGPD: one's own data --------------------------------------------------------------------

# Translators: the word a citizen without a password types to delete their account; in capitals,
# one word, easy to type on any keyboard (e.g. DELETE).
DELETE_CONFIRMATION = gettext_lazy("SUPPRIMER")
DELETE_CONFIRMATION_MAX_LENGTH = 40


def delete_confirmation_word() -> str:
    """The word to type, in the active language."""
    return str(DELETE_CONFIRMATION)


def is_delete_confirmation(typed: str) -> bool:
    """Whether `typed` is the word of the active language, whatever its case and spaces."""
    typed = (typed or "")[:DELETE_CONFIRMATION_MAX_LENGTH]
    return typed.strip().casefold() == delete_confirmation_word().strip().casefold()


def _when(value) -> str | None:
    return value.isoformat() if value else None


def personal_data(*, user: User) -> dict[str, Any]:
    """Everything Maillage holds about `user` that is theirs to download (right of access).

    The account, its addresses, tokens and sessions, then each app's part (consultations)."""
    from consultations.export import citizen_data  # consultations imports accounts

    consultations = citizen_data(user)
    consultations.pop("compte", None)  # the account is described once, below
    return {
        "format": "Maillage — mes données",
        "genere_le": _when(timezone.now()),
        "compte": {
            "email": user.email,
            "identifiant": user.handle,
            "nom_affiche": user.display_name,
            "type": user.kind,
            "organisation": user.organisation.name if user.organisation_id else None,
            "fonction": user.job_title,
            "service": user.department,
            "telephone": user.phone,
            "presentation": user.bio,
            "expertise": user.expertise,
            "photo": bool(user.avatar),
            "inscrit_le": _when(user.date_joined),
            "derniere_connexion": _when(user.last_login),
            "notice_acceptee_le": _when(user.notice_accepted_at),
            "version_notice": user.notice_version or None,
        },
        "adresses_email": [
            {"email": email, "verifiee": verified, "principale": primary}
            for email, verified, primary in EmailAddress.objects.filter(user=user)
            .order_by("pk")
            .values_list("email", "verified", "primary")
        ],
        "jetons_api": [
            {
                "nom": name,
                "debut": f"{TOKEN_PREFIX}{prefix}…",
                "cree_le": _when(created),
                "utilise_le": _when(used),
                "revoque_le": _when(revoked),
            }
            for name, prefix, created, used, revoked in ApiToken.objects.filter(user=user)
            .order_by("created_at", "pk")
            .values_list("name", "prefix", "created_at", "last_used_at", "revoked_at")
        ],
        "sessions": [
            {
                "adresse_ip": ip,
                "navigateur": agent,
                "ouverte_le": _when(created),
                "vue_le": _when(seen),
            }
            for ip, agent, created, seen in UserSession.objects.filter(user=user)
            .order_by("created_at", "pk")
            .values_list("ip", "user_agent", "created_at", "last_seen_at")
        ],
        "consultations": consultations,
    }


def delete_own_account(*, user: User, password: str = "", confirmation: str = "") -> None:
    """Delete a citizen's account for good (right to erasure).

    Their contributions and comments stay, signed « un habitant »; their supports, reports'
    authorship, addresses, tokens, sessions and photo go. Needs the password (or, for an
    account without one, the word DELETE_CONFIRMATION of the active language typed in)."""
    if not policy.can_delete_own_account(user):
        raise PermissionDenied
    if user.has_usable_password():
        if not password or len(password) > 4096 or not user.check_password(password):
            raise ValidationError({"password": _("Mot de passe incorrect.")})
    elif not is_delete_confirmation(confirmation):
        raise ValidationError(
            {
                "confirmation": _("Tapez %(word)s pour confirmer la suppression.")
                % {"word": delete_confirmation_word()}
            }
        )
    try:
        photo = _erase_citizen(user)
    except ProtectedError:
        raise ValidationError(
            _(
                "Votre compte ne peut pas être supprimé automatiquement : écrivez au délégué à "
                "la protection des données (dpo@maillage.test)."
            )
        ) from None
    _delete_photo(photo)


def _erase_citizen(user: User) -> tuple[Any, str] | None:
    """Forget a citizen (consultations pseudonymised, « un habitant »), end their sessions and
    delete the account, in one transaction; returns their photo (storage, name), for the
    caller to delete once its transaction is over. Raises ProtectedError, with nothing
    changed, when something still holds the account."""
    from consultations.services import forget_citizen  # (import cycle)

    photo = (user.avatar.storage, user.avatar.name) if user.avatar else None
    with transaction.atomic():
        forget_citizen(user=user)
        end_all_sessions(user=user)
        user.delete()
    return photo


def _delete_photo(photo: tuple[Any, str] | None) -> None:
    if photo is not None:
        storage, name = photo
        storage.delete(name)


# --- RGPD: retention of citizens' accounts -----------------------------------------------------

RETENTION_WARNING_DAYS = 30  # the warning e-mail leaves this long before the deletion
RETENTION_BATCH = 200  # accounts read per query; each one is forgotten in its own transaction


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def retention_cutoff(now: datetime | None = None) -> datetime:
    """A citizen whose last sign-in (or sign-up) is older than this is forgotten."""
    return _years_later(now or timezone.now(), -RETENTION_YEARS)


def forget_inactive_citizens(
    *, now: datetime | None = None, batch_size: int = RETENTION_BATCH
) -> dict[str, int]:
    """Delete, as the processing notice promises, the citizens' accounts nobody signed in to
    for RETENTION_YEARS (never signed in: since sign-up), like their own « Supprimer mon
    compte »: contributions stay, signed « un habitant ». Returns the counts, also logged.

    Idempotent and safe to run twice at once: each account is read again, locked, in its own
    transaction (one who signed in meanwhile is kept; one locked is another run's); an account
    something still holds (ProtectedError) is kept, logged, and met again at the next run."""
    cutoff = retention_cutoff(now)
    counts = {"forgotten": 0, "kept": 0}
    last_pk = 0
    while True:
        ids = list(
            selectors.inactive_citizens(cutoff)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_pk = ids[-1]
        for pk in ids:
            counts["forgotten" if _forget_if_inactive(pk, cutoff) else "kept"] += 1
    logger.info(
        "retention: %(forgotten)s inactive citizen account(s) forgotten, %(kept)s kept", counts
    )
    return counts


def _forget_if_inactive(pk: int, cutoff: datetime) -> bool:
    with transaction.atomic():
        user = (
            selectors.inactive_citizens(cutoff)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk)
            .first()
        )
        if user is None:
            return False
        try:
            photo = _erase_citizen(user)
        except ProtectedError:
            logger.warning("retention: citizen account %s is still referenced, kept", pk)
            return False
    _delete_photo(photo)
    return True


def warn_inactive_citizens(
    *, now: datetime | None = None, batch_size: int = RETENTION_BATCH
) -> int:
    """E-mail the citizens whose account will be deleted within RETENTION_WARNING_DAYS, in
    their language, once per period of absence (signing in starts a new one); returns how
    many were sent now."""
    from notifications.emails import deliver_once

    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    soon = selectors.inactive_citizens(cutoff + timedelta(days=RETENTION_WARNING_DAYS)).filter(
        is_active=True, last_seen__gte=cutoff
    )
    sent = 0
    last_pk = 0
    while True:
        batch = list(soon.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        for user in batch:
            key = f"retention-warning:{user.pk}:{user.last_seen:%Y%m%d%H%M%S}"
            if deliver_once(key, user, lambda user=user: _retention_warning(user)):
                sent += 1
    logger.info("retention: %s warning e-mail(s) sent", sent)
    return sent


def _retention_warning(user: User) -> EmailMessage:
    from notifications.emails import language_of, site_url

    deleted_on = _years_later(user.last_seen, RETENTION_YEARS)
    with translation.override(language_of(user)):
        when = date_format(timezone.localtime(deleted_on), "DATE_FORMAT")
        subject = _("Votre compte Maillage sera supprimé le %(date)s") % {"date": when}
        body = _(
            "Bonjour %(name)s,\n\n"
            "Vous ne vous êtes pas connecté à Maillage depuis près de %(years)s ans. Comme "
            "l'annonce la notice d'information, votre compte sera supprimé le %(date)s. Vos "
            "contributions resteront publiées au nom d'« un habitant ».\n\n"
            "Pour garder votre compte, il suffit de vous connecter avant cette date : %(url)s\n"
        ) % {
            "name": user.display_name,
            "years": RETENTION_YEARS,
            "date": when,
            "url": site_url(reverse("account_login")),
        }
        language = translation.get_language()
    return EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language},
    )
