"""Writes on groups: create and edit, join and requests, invitations, members and roles."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from groups import policy
from groups.models import Group, Invitation, JoinRequest, Membership
from notifications import triggers as notification_triggers
from realtime import events as realtime

INVITATION_LIFETIME = timedelta(days=14)
GROUP_FIELDS = ("name", "description", "visibility", "open_to_external", "charter")
# Page addresses beside /groupes/<slug>/ that a group's slug must not shadow.
RESERVED_SLUGS = {"nouveau"}


def _free_slug(name: str) -> str:
    base = slugify(name)[:70] or "groupe"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Group.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _lock(group: Group) -> Group:
    """Serialise membership changes of one group (the last owner must stay)."""
    return Group.objects.select_for_update().get(pk=group.pk)


def _clean_texts(group: Group) -> None:
    """Drop NUL characters (PostgreSQL refuses them) and hold the limits of the text fields,
    which the model's full_clean does not check for a TextField."""
    for name in ("name", "description", "charter"):
        value = getattr(group, name)
        if isinstance(value, str):
            setattr(group, name, value.replace("\x00", "").strip())
    for name in ("description", "charter"):
        limit = Group._meta.get_field(name).max_length
        if len(getattr(group, name) or "") > limit:
            raise ValidationError(
                {
                    name: _("%(limit)s caractères au plus.")
                    % {"limit": f"{limit:,}".replace(",", " ")}
                }
            )


@transaction.atomic
def create_group(*, actor: User, data: dict[str, Any]) -> Group:
    if not policy.can_create_group(actor):
        raise PermissionDenied
    group = Group(created_by=actor, **{k: v for k, v in data.items() if k in GROUP_FIELDS})
    _clean_texts(group)
    if not group.name:
        raise ValidationError({"name": _("Le nom du groupe est obligatoire.")})
    group.slug = _free_slug(group.name)
    group.full_clean()
    group.save()
    Membership.objects.create(group=group, user=actor, role=Membership.Role.OWNER)
    _follow_group(actor, group)
    return group


@transaction.atomic
def update_group(*, actor: User, group: Group, data: dict[str, Any]) -> Group:
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    unknown = set(data) - set(GROUP_FIELDS)
    if unknown:
        raise ValidationError(_("Champs non modifiables : %s.") % ", ".join(sorted(unknown)))
    group = _lock(group)
    access_before = (group.visibility, group.open_to_external)
    for field, value in data.items():
        setattr(group, field, value.strip() if isinstance(value, str) else value)
    _clean_texts(group)
    if not group.name:
        raise ValidationError({"name": _("Le nom du groupe est obligatoire.")})
    if (
        not group.open_to_external
        and group.memberships.filter(user__kind=User.Kind.EXTERNAL)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .exists()
    ):
        raise ValidationError(
            {
                "open_to_external": _(
                    "Retirez d'abord les membres externes avant de fermer le groupe aux externes."
                )
            }
        )
    group.full_clean()
    group.save()
    if (group.visibility, group.open_to_external) != access_before:
        # Who may read the feed changed, for people no service names: every open page on it
        # re-checks its own user's access after commit, and drops the feed if refused.
        realtime.recheck_feed(group.pk)
    return group


@transaction.atomic
def set_group_avatar(*, actor: User, group: Group, upload) -> Group:
    """Replace the group's image by a small re-encoded copy of `upload`."""
    from accounts.avatars import process_avatar

    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    image = process_avatar(upload)
    group = _lock(group)
    old = group.avatar.name if group.avatar else None
    group.avatar.save(image.name, image, save=False)
    group.save(update_fields=["avatar", "updated_at"])
    if old:
        storage = group.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return group


@transaction.atomic
def remove_group_avatar(*, actor: User, group: Group) -> Group:
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    group = _lock(group)
    if group.avatar:
        old, storage = group.avatar.name, group.avatar.storage
        group.avatar = ""
        group.save(update_fields=["avatar", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
    return group


def _add_member(group: Group, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    if not policy.may_belong_to(user, group):
        raise ValidationError(
            _("Ce groupe n'est pas ouvert aux membres externes.")
            if user.is_external
            else _("Ce compte ne peut pas être membre d'un groupe.")
        )
    membership = group.memberships.filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(group=group, user=user, role=role)
    elif membership.expires_at is not None and membership.expires_at <= timezone.now():
        # Access had ended: coming back starts afresh, without the former role.
        membership.role = role
        membership.expires_at = None
        membership.save(update_fields=["role", "expires_at"])
    # A current member (an invitation accepted late, say) keeps their role and end date.
    if user.is_external and group.charter and membership.charter_accepted_at is None:
        membership.charter_accepted_at = timezone.now()
        membership.save(update_fields=["charter_accepted_at"])
    _follow_group(user, group)
    return membership


def _follow_group(user: User, group: Group) -> None:
    from social.models import Follow  # members follow their groups automatically

    Follow.objects.get_or_create(follower=user, group=group)


@transaction.atomic
def join_group(*, actor: User, group: Group, message: str = "") -> Membership | JoinRequest:
    """Join a public group, or ask to join a private one. Unlisted groups are by invitation."""
    group = _lock(group)
    if policy.membership_of(actor, group) is not None:
        raise ValidationError(_("Vous êtes déjà membre de ce groupe."))
    if policy.can_join_directly(actor, group):
        return _add_member(group, actor)
    if policy.can_request_to_join(actor, group):
        message = message.replace("\x00", "")
        if len(message) > 500:
            raise ValidationError({"message": _("Le message ne peut dépasser 500 caractères.")})
        existing = group.join_requests.filter(user=actor, status=JoinRequest.Status.PENDING).first()
        if existing:
            return existing
        join_request = JoinRequest.objects.create(group=group, user=actor, message=message.strip())
        notification_triggers.join_requested(join_request)
        return join_request
    raise PermissionDenied


@transaction.atomic
def leave_group(*, actor: User, group: Group) -> None:
    remove_member(actor=actor, group=group, user=actor)


@transaction.atomic
def decide_join_request(
    *, actor: User, request_id: int, group: Group, approve: bool
) -> JoinRequest:
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    group = _lock(group)
    join_request = group.join_requests.filter(pk=request_id).select_related("user").first()
    if join_request is None:
        raise ValidationError(_("Cette demande n'existe pas."))
    if join_request.status != JoinRequest.Status.PENDING:
        raise ValidationError(_("Cette demande a déjà été traitée."))
    join_request.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.REFUSED
    join_request.decided_by = actor
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        _add_member(group, join_request.user)
        notification_triggers.join_approved(join_request, actor)
    return join_request


@transaction.atomic
def remove_member(*, actor: User, group: Group, user: User) -> None:
    if actor.pk != user.pk and not policy.can_manage_group(actor, group):
        raise PermissionDenied
    group = _lock(group)
    membership = group.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(_("Cette personne n'est pas membre du groupe."))
    if membership.role == Membership.Role.OWNER and _owners(group) == 1:
        raise ValidationError(_("Un groupe garde toujours au moins un propriétaire."))
    if membership.role == Membership.Role.OWNER and actor.pk != user.pk:
        _require_owner(actor, group)
    membership.delete()
    if not policy.can_read_group(user, group):
        # Their open pages stop receiving this group's live feed at once.
        realtime.unsubscribe(user.pk, group.pk)


@transaction.atomic
def change_role(*, actor: User, group: Group, user: User, role: str) -> Membership:
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Rôle inconnu.")})
    group = _lock(group)
    membership = group.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(_("Cette personne n'est pas membre du groupe."))
    if (
        membership.role == Membership.Role.OWNER
        and role != Membership.Role.OWNER
        and _owners(group) == 1
    ):
        raise ValidationError(_("Un groupe garde toujours au moins un propriétaire."))
    if role == Membership.Role.OWNER and not policy.is_owner_given(
        actor, policy.membership_of(actor, group)
    ):
        raise ValidationError(_("Seul un propriétaire peut nommer un autre propriétaire."))
    if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _require_owner(actor, group)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def set_membership_end(*, actor: User, group: Group, user: User, ends_at) -> Membership:
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    membership = group.memberships.filter(user=user).first()
    if membership is None:
        raise ValidationError(_("Cette personne n'est pas membre du groupe."))
    if not user.is_external:
        raise ValidationError(_("Seuls les membres externes ont une date de fin d'accès."))
    if ends_at is not None and ends_at <= timezone.now():
        raise ValidationError({"expires_at": _("La date de fin doit être dans le futur.")})
    membership.expires_at = ends_at
    membership.save(update_fields=["expires_at"])
    return membership


def _require_owner(actor: User, group: Group) -> None:
    """Managers run the group; only an owner removes or demotes another owner."""
    if not policy.is_owner_given(actor, policy.membership_of(actor, group)):
        raise ValidationError(
            _("Seul un propriétaire peut retirer ou rétrograder un propriétaire.")
        )


def _owners(group: Group) -> int:
    return group.memberships.filter(role=Membership.Role.OWNER).count()


def invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(*, actor: User, group: Group, email: str) -> Invitation:
    """E-mail a single-use, expiring link to join `group`, bound to `email`."""
    if not policy.can_manage_group(actor, group):
        raise PermissionDenied
    email = email.strip().lower()
    from django.core.validators import validate_email

    try:
        validate_email(email)
        if len(email) > Invitation._meta.get_field("email").max_length:
            raise ValidationError("too long")
    except ValidationError:
        raise ValidationError({"email": _("Adresse e-mail invalide.")}) from None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if policy.membership_of(existing, group) is not None:
            raise ValidationError({"email": _("Cette personne est déjà membre du groupe.")})
        if not policy.may_belong_to(existing, group):
            raise ValidationError({"email": _("Ce compte ne peut pas rejoindre ce groupe.")})
    elif not group.open_to_external and actor.kind != User.Kind.STAFF:
        raise ValidationError(
            {"email": _("Seul un agent peut inviter une personne sans compte dans ce groupe.")}
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        group=group,
        email=email,
        invited_by=actor,
        digest=invitation_digest(token),
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    link = f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_DOMAIN}" + reverse(
        "groups:invitation", args=[token]
    )
    context = {"group": group, "inviter": actor, "link": link, "has_account": existing is not None}
    notification_triggers.group_invited(invitation, existing)
    transaction.on_commit(
        lambda: send_mail(
            _("%(name)s vous invite dans le groupe « %(group)s »")
            % {"name": actor.display_name, "group": group.name},
            render_to_string("groups/email/invitation.txt", context),
            None,
            [email],
        )
    )
    return invitation


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("group", "invited_by")
        .filter(digest=invitation_digest(token))
        .first()
    )


@transaction.atomic
def accept_invitation(*, actor: User, token: str) -> Membership:
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable:
        raise ValidationError(_("Cette invitation n'est plus valable (expirée ou déjà utilisée)."))
    if actor.email.lower() != invitation.email:
        raise ValidationError(_("Cette invitation a été envoyée à une autre adresse e-mail."))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("Cette invitation n'est plus valable (expirée ou déjà utilisée)."))
    membership = _add_member(_lock(invitation.group), actor)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def kind_for_invited_newcomer(invitation: Invitation) -> str:
    """Who a person without an account becomes by accepting (see `invite`)."""
    return User.Kind.EXTERNAL if invitation.group.open_to_external else User.Kind.STAFF


@transaction.atomic
def create_account_from_invitation(
    *, token: str, display_name: str, password: str, organisation_name: str = ""
) -> User:
    """A newcomer creates their account from the invitation link, then joins the group."""
    from django.contrib.auth.password_validation import validate_password

    from accounts import services as account_services
    from accounts.models import Organisation

    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable:
        raise ValidationError(_("Cette invitation n'est plus valable (expirée ou déjà utilisée)."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("Un compte existe déjà : connectez-vous pour accepter."))
    kind = kind_for_invited_newcomer(invitation)
    if kind == User.Kind.STAFF and invitation.invited_by.kind != User.Kind.STAFF:
        # Only staff bring in staff (see `invite`): the group was closed to externals since.
        raise ValidationError(
            _("Cette invitation ne permet plus de créer un compte : demandez-en une nouvelle.")
        )
    organisation = None
    display_name = display_name.replace("\x00", "")  # PostgreSQL refuses NUL characters
    if kind == User.Kind.EXTERNAL:
        organisation_name = organisation_name.replace("\x00", "").strip()
        if not organisation_name:
            raise ValidationError({"organisation": _("Indiquez votre organisation.")})
        if len(organisation_name) > 150:
            raise ValidationError({"organisation": _("150 caractères au plus.")})
        organisation = Organisation.objects.filter(name__iexact=organisation_name).first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name=organisation_name, type=Organisation.Type.STARTUP
            )
    user = User(email=invitation.email, display_name=display_name.strip())
    validate_password(password, user)
    user = account_services.create_user(
        email=invitation.email,
        kind=kind,
        display_name=display_name.strip(),
        organisation=organisation,
        password=password,
        verified=True,  # the link proves the address
    )
    accept_invitation(actor=user, token=token)
    return user
