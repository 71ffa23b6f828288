"""Writes on accounts: one function per action, each validating and writing atomically."""

import hashlib
import logging
import re
import secrets
import smtplib
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, ProtectedError
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
    """Whether `typed` is the word of the active language, whatever its case and spaces; never
    when longer than DELETE_CONFIRMATION_MAX_LENGTH (spaces included)."""
    typed = typed or ""
    if len(typed) > DELETE_CONFIRMATION_MAX_LENGTH:
        return False
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
#
# A citizen's account unused for RETENTION_YEARS is deleted, never without warning: the warning
# e-mail for this period of absence (EmailDelivery key `retention-warning:<user>:<last seen>`,
# see retention_warning_key) must have been given RETENTION_WARNING_DAYS before. Given means:
# sent; or, for an account with no usable address (none, or not an address), found so (the
# delivery is then marked skipped); or, for an address the mail server refuses for good (5xx),
# refused on RETENTION_WARNING_DAYS daily attempts over as many days (each counted in the
# delivery's `attempts`). Any other failure (server down, 4xx) gives nothing: the warning is
# retried at the next run and nobody waiting for it is deleted. Signing in starts a new period
# (a new key). Accounts closed by an administrator (is_active=False) cannot be kept by signing
# in: they are not warned, and are deleted once the RETENTION_YEARS are over.

RETENTION_WARNING_DAYS = 30  # the warning e-mail leaves at least this long before the deletion
RETENTION_BATCH = 200  # accounts read per query; each one is forgotten in its own transaction
RETENTION_MAX_FAILURES_IN_A_ROW = 20  # then the mail server looks down: the rest wait a day


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def retention_cutoff(now: datetime | None = None) -> datetime:
    """A citizen whose last sign-in (or sign-up) is older than this is forgotten (once warned)."""
    return _years_later(now or timezone.now(), -RETENTION_YEARS)


def retention_warning_key(user_pk: int, last_seen: datetime) -> str:
    """The key of the warning e-mail for this period of absence (in UTC, to the second)."""
    return f"retention-warning:{user_pk}:{last_seen.astimezone(UTC):%Y%m%d%H%M%S}"


def _warned_long_enough(given: datetime | None, now: datetime) -> bool:
    """Whether a warning given at `given` leaves the account to delete at `now`: on the day the
    warning announced (RETENTION_WARNING_DAYS later, in the site's calendar) or after."""
    if given is None:
        return False
    due = timezone.localdate(given) + timedelta(days=RETENTION_WARNING_DAYS)
    return timezone.localdate(now) >= due


def _may_forget(
    pk: int, last_seen: datetime, is_active: bool, now: datetime, given: dict[str, datetime]
) -> bool:
    if not is_active:
        return True  # closed: signing in cannot keep it, a warning would say otherwise
    return _warned_long_enough(given.get(retention_warning_key(pk, last_seen)), now)


def forget_inactive_citizens(
    *, now: datetime | None = None, batch_size: int = RETENTION_BATCH
) -> dict[str, int]:
    """Delete, as the processing notice promises, the citizens' accounts nobody signed in to
    for RETENTION_YEARS (never signed in: since sign-up) and warned RETENTION_WARNING_DAYS
    before, like their own « Supprimer mon compte »: contributions stay, signed « un
    habitant ». Returns the counts, also logged: forgotten, kept (something still holds the
    account, or another run has it) and waiting (not warned, or not long enough ago).

    Idempotent and safe to run twice at once: each account is read again, locked, in its own
    transaction (one who signed in meanwhile is kept; one locked is another run's); an account
    something still holds (ProtectedError) is kept, logged, and met again at the next run."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    counts = {"forgotten": 0, "kept": 0, "waiting": 0}
    last_pk = 0
    while True:
        batch = list(
            selectors.inactive_citizens(cutoff)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "last_seen", "is_active")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1][0]
        given = selectors.retention_warnings_given(
            [retention_warning_key(pk, seen) for pk, seen, active in batch if active],
            refusals=RETENTION_WARNING_DAYS,
        )
        for pk, last_seen, is_active in batch:
            if not _may_forget(pk, last_seen, is_active, now, given):
                counts["waiting"] += 1
            elif _forget_if_inactive(pk, cutoff, now):
                counts["forgotten"] += 1
            else:
                counts["kept"] += 1
    logger.info(
        "retention: %(forgotten)s inactive citizen account(s) forgotten, %(kept)s kept, "
        "%(waiting)s waiting for their warning",
        counts,
    )
    return counts


def _forget_if_inactive(pk: int, cutoff: datetime, now: datetime) -> bool:
    with transaction.atomic():
        user = (
            selectors.inactive_citizens(cutoff)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk)
            .first()
        )
        if user is None:
            return False
        if user.is_active:  # read again, locked: still the period of absence that was warned?
            key = retention_warning_key(user.pk, user.last_seen)
            given = selectors.retention_warnings_given([key], refusals=RETENTION_WARNING_DAYS)
            if not _may_forget(user.pk, user.last_seen, True, now, given):
                return False
        try:
            photo = _erase_citizen(user)
        except ProtectedError:
            logger.warning("retention: citizen account %s is still referenced, kept", pk)
            return False
    _delete_photo(photo)
    return True


def _refused_for_good(error: Exception) -> bool:
    """The mail server refused the recipient's address with a permanent (5xx) error."""
    refused = getattr(error, "recipients", None)
    return (
        isinstance(error, smtplib.SMTPRecipientsRefused)
        and bool(refused)
        and all(500 <= code < 600 for code, _message in refused.values())
    )


def warn_inactive_citizens(
    *,
    now: datetime | None = None,
    batch_size: int = RETENTION_BATCH,
    max_failures_in_a_row: int = RETENTION_MAX_FAILURES_IN_A_ROW,
) -> dict[str, int]:
    """E-mail, in their language, the citizens whose account may be deleted within
    RETENTION_WARNING_DAYS, or may be already but was not warned (first run, a mail server or
    beat down for a while), once per period of absence (signing in starts a new one). Returns
    the counts, also logged: sent, unreachable (no usable address), refused (the address, by
    the mail server) and failed (retried at the next run).

    One citizen's failure is logged and the others still get theirs; after
    `max_failures_in_a_row` failures the mail server looks down and the rest wait a day."""
    from notifications.emails import deliver_once
    from notifications.models import EmailDelivery

    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    soon = selectors.inactive_citizens(cutoff + timedelta(days=RETENTION_WARNING_DAYS)).filter(
        is_active=True
    )
    counts = {"sent": 0, "unreachable": 0, "refused": 0, "failed": 0}
    in_a_row = 0
    last_pk = 0
    while in_a_row < max_failures_in_a_row:
        batch = list(soon.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        keys = {user.pk: retention_warning_key(user.pk, user.last_seen) for user in batch}
        done = selectors.retention_warnings_given(list(keys.values()))  # sent or skipped
        for user in batch:
            key = keys[user.pk]
            if key in done:
                continue
            try:
                if deliver_once(key, user, lambda user=user: _retention_warning(user, now)):
                    counts["sent"] += 1
                elif not _usable_address(user.email):
                    counts["unreachable"] += 1
                in_a_row = 0
            except Exception as error:
                if _refused_for_good(error):
                    EmailDelivery.objects.filter(key=key, sent_at__isnull=True).update(
                        attempts=F("attempts") + 1
                    )
                    counts["refused"] += 1
                else:
                    counts["failed"] += 1
                in_a_row += 1
                logger.warning(
                    "retention: the warning to citizen %s failed (%s), tried again next run",
                    user.pk,
                    error.__class__.__name__,
                    exc_info=True,
                )
                if in_a_row >= max_failures_in_a_row:
                    logger.error(
                        "retention: %s warnings failed in a row, the others wait for the next run",
                        in_a_row,
                    )
                    break
    logger.info(
        "retention: %(sent)s warning e-mail(s) sent, %(unreachable)s without a usable address, "
        "%(refused)s refused, %(failed)s failed",
        counts,
    )
    return counts


def _usable_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _retention_warning(user: User, now: datetime) -> EmailMessage | None:
    """The warning e-mail, or None for an account without a usable address (nobody to warn:
    the delivery is marked skipped, which counts as the warning given)."""
    from notifications.emails import language_of, site_url

    if not _usable_address(user.email):
        return None
    # Warned RETENTION_WARNING_DAYS before the end of RETENTION_YEARS at the earliest (later when
    # the job could not warn sooner), the account goes RETENTION_WARNING_DAYS after the warning.
    deleted_on = timezone.localdate(now) + timedelta(days=RETENTION_WARNING_DAYS)
    with translation.override(language_of(user)):
        when = date_format(deleted_on, "DATE_FORMAT")
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
