"""Writes on accounts: one function per action, each validating and writing atomically."""

import hashlib
import re
import secrets
import unicodedata
from typing import Any

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import avatars, policy
from accounts.models import HANDLE_MAX_LENGTH, ApiToken, Organisation, User
from realtime import events

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

DELETE_CONFIRMATION = "SUPPRIMER"


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
    account without one, the word SUPPRIMER typed in)."""
    from consultations.services import forget_citizen  # (import cycle)

    if not policy.can_delete_own_account(user):
        raise PermissionDenied
    if user.has_usable_password():
        if not password or len(password) > 4096 or not user.check_password(password):
            raise ValidationError({"password": _("Mot de passe incorrect.")})
    elif (confirmation or "").strip().upper() != DELETE_CONFIRMATION:
        raise ValidationError(
            {
                "confirmation": _("Tapez %(word)s pour confirmer la suppression.")
                % {"word": DELETE_CONFIRMATION}
            }
        )
    avatar = user.avatar.name if user.avatar else None
    storage = user.avatar.storage
    try:
        with transaction.atomic():
            forget_citizen(user=user)
            end_all_sessions(user=user)
            user.delete()
    except ProtectedError:
        raise ValidationError(
            _(
                "Votre compte ne peut pas être supprimé automatiquement : écrivez au délégué à "
                "la protection des données (dpo@maillage.test)."
            )
        ) from None
    if avatar:
        storage.delete(avatar)
