"""Who may see and do what in consultations. The only place that decides it.

Anonymous visitors and citizens read opened consultations, published contributions, public
answers and their own contributions; staff see everything; elected officials read
consultations and briefs; external members see nothing of consultations.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from consultations.models import (
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    ModerationState,
)
from groups import policy as group_policy
from groups.models import Group

AnyUser = User | AnonymousUser


def _active(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _kind(user: AnyUser) -> str | None:
    return getattr(user, "kind", None) if _active(user) else None


def is_staff(user: AnyUser) -> bool:
    """Agency staff (administrators included): everything of consultations."""
    return _kind(user) == User.Kind.STAFF


def is_public_reader(user: AnyUser) -> bool:
    """Anonymous visitors, deactivated accounts and citizens: the public view only."""
    return _kind(user) in (None, User.Kind.CITIZEN)


def _citizen(user: AnyUser) -> bool:
    return _kind(user) == User.Kind.CITIZEN


# --- Consultations ---------------------------------------------------------------------------


def visible_consultations(user: AnyUser) -> QuerySet[Consultation]:
    """Consultations `user` may open: all for staff and elected, opened ones for the public."""
    kind = _kind(user)
    if kind in (User.Kind.STAFF, User.Kind.ELECTED):
        return Consultation.objects.all()
    if kind == User.Kind.EXTERNAL:
        return Consultation.objects.none()
    return Consultation.objects.filter(opens_at__lte=timezone.now())


def can_view_consultation(user: AnyUser, consultation: Consultation) -> bool:
    """Mirror of `visible_consultations` for one consultation."""
    kind = _kind(user)
    if kind in (User.Kind.STAFF, User.Kind.ELECTED):
        return True
    if kind == User.Kind.EXTERNAL:
        return False
    return consultation.opens_at <= timezone.now()


def can_manage_consultations(user: AnyUser) -> bool:
    """Create consultations, services, answer templates and forbidden words: staff."""
    return is_staff(user)


def can_publish_report(user: AnyUser, consultation: Consultation) -> bool:
    """Publish the public report after the visit: staff."""
    return is_staff(user)


def can_view_brief(user: AnyUser, consultation: Consultation) -> bool:
    """The visit brief: staff and elected officials."""
    return _kind(user) in (User.Kind.STAFF, User.Kind.ELECTED)


def can_follow_consultations(user: AnyUser) -> bool:
    """The internal follow-up pages (staff: management, moderation, triage; elected: briefs)."""
    return _kind(user) in (User.Kind.STAFF, User.Kind.ELECTED)


def can_export(user: AnyUser, consultation: Consultation) -> bool:
    """Open data: whoever may see a consultation, once it is closed."""
    return can_view_consultation(user, consultation) and consultation.is_closed


def can_moderate(user: AnyUser, consultation: Consultation) -> bool:
    """Moderators named on the consultation (staff) and administrators."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return is_staff(user) and consultation.moderators.filter(pk=user.pk).exists()


def moderated_consultations(user: AnyUser) -> QuerySet[Consultation]:
    """The consultations whose queue `user` sees (mirror of `can_moderate`)."""
    if not _active(user):
        return Consultation.objects.none()
    if user.is_superuser:
        return Consultation.objects.all()
    if not is_staff(user):
        return Consultation.objects.none()
    return Consultation.objects.filter(moderators=user)


# --- Contributions ---------------------------------------------------------------------------


def visible_contributions(
    user: AnyUser, consultation: Consultation | None = None
) -> QuerySet[Contribution]:
    """Contributions `user` may read: staff all; the public published ones and their own."""
    kind = _kind(user)
    qs = Contribution.objects.all()
    if consultation is not None:
        qs = qs.filter(consultation=consultation)
    if kind == User.Kind.STAFF:
        return qs
    if kind == User.Kind.EXTERNAL:
        return qs.none()
    published = Q(moderation_state=ModerationState.PUBLISHED)
    if kind == User.Kind.ELECTED:
        return qs.filter(published)
    readable = published & Q(consultation__opens_at__lte=timezone.now())
    if kind == User.Kind.CITIZEN:
        readable |= Q(author=user)  # their own, always (even if the opening was moved later)
    return qs.filter(readable)


def can_view_contribution(user: AnyUser, contribution: Contribution) -> bool:
    """Mirror of `visible_contributions` for one contribution."""
    kind = _kind(user)
    if kind == User.Kind.STAFF:
        return True
    if kind == User.Kind.EXTERNAL:
        return False
    if kind == User.Kind.CITIZEN and contribution.author_id == user.pk:
        return True
    if not contribution.is_published:
        return False
    return kind == User.Kind.ELECTED or can_view_consultation(user, contribution.consultation)


def can_participate(user: AnyUser) -> bool:
    """Who takes part (contributes, supports, comments): active citizens and staff."""
    return _kind(user) in (User.Kind.CITIZEN, User.Kind.STAFF)


def can_contribute(user: AnyUser, consultation: Consultation) -> bool:
    """Citizens and staff, while the consultation is open."""
    return can_participate(user) and consultation.is_open


def can_support(user: AnyUser, contribution: Contribution) -> bool:
    """Citizens and staff, on a published contribution of an open consultation, not their own."""
    return (
        can_participate(user)
        and contribution.is_published
        and contribution.author_id != user.pk
        and contribution.consultation.is_open
        and can_view_contribution(user, contribution)
    )


def can_comment(user: AnyUser, contribution: Contribution) -> bool:
    """Citizens and staff, on a published contribution of an open consultation."""
    return (
        can_participate(user)
        and contribution.is_published
        and contribution.consultation.is_open
        and can_view_contribution(user, contribution)
    )


def can_report(user: AnyUser, contribution: Contribution) -> bool:
    """Anyone signed in who can read the contribution."""
    return _active(user) and can_view_contribution(user, contribution)


def can_view_photo(user: AnyUser, photo: ContributionPhoto) -> bool:
    """A photo is seen by whoever may read its contribution."""
    return can_view_contribution(user, photo.contribution)


# --- Comments --------------------------------------------------------------------------------


def visible_comments(user: AnyUser, contribution: Contribution) -> QuerySet[ConsultationComment]:
    """Comments of a readable contribution: staff all; others published ones and their own."""
    if not can_view_contribution(user, contribution):
        return ConsultationComment.objects.none()
    qs = ConsultationComment.objects.filter(contribution=contribution)
    if is_staff(user):
        return qs
    readable = Q(moderation_state=ModerationState.PUBLISHED)
    if _citizen(user):
        readable |= Q(author=user)
    return qs.filter(readable)


def can_view_comment(user: AnyUser, comment: ConsultationComment) -> bool:
    """Mirror of `visible_comments` for one comment."""
    if not can_view_contribution(user, comment.contribution):
        return False
    if is_staff(user) or comment.moderation_state == ModerationState.PUBLISHED:
        return True
    return _citizen(user) and comment.author_id == user.pk


def can_report_comment(user: AnyUser, comment: ConsultationComment) -> bool:
    """Anyone signed in who can read the comment."""
    return _active(user) and can_view_comment(user, comment)


# --- Follow-up (internal) --------------------------------------------------------------------


def can_triage(user: AnyUser, contribution: Contribution | None = None) -> bool:
    """Route, change statuses, flag quick wins, write notes and answers: staff."""
    return is_staff(user)


def can_view_internal(user: AnyUser) -> bool:
    """Internal notes, routing details, the moderation log, reports, who changed a status."""
    return is_staff(user)


def can_discuss_in(user: AnyUser, group: Group) -> bool:
    """Turn a contribution into a post: staff, in a group they post in, closed to externals."""
    return is_staff(user) and not group.open_to_external and group_policy.can_post_in(user, group)
