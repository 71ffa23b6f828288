"""Reads on consultations, already filtered by the policy and loaded in constant queries."""

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from consultations import policy
from consultations.models import (
    AnswerTemplate,
    Consultation,
    ConsultationComment,
    Contribution,
    ContributionPhoto,
    InternalNote,
    ModerationDecision,
    ModerationState,
    OfficialAnswer,
    Report,
    StatusChange,
    Support,
)
from consultations.policy import AnyUser

SORTS = {
    "supports": ("-support_count", "-created_at", "-id"),
    "recent": ("-created_at", "-id"),
    "category": ("category__position", "-created_at", "-id"),
    "status": ("status_rank", "-created_at", "-id"),
}
# Statuses in the order of the workflow (questions and ideas, without one, last).
_STATUS_RANK = Case(
    *(When(status=s, then=Value(i)) for i, s in enumerate(Contribution.Status.values)),
    default=Value(len(Contribution.Status.values)),
    output_field=IntegerField(),
)
TRIAGE_SORTS = {
    "age": ("created_at", "id"),
    "supports": ("-support_count", "created_at", "id"),
}


def _first_or_404(qs: QuerySet, pk) -> object:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def get_consultation_for(user: AnyUser, consultation_id: int) -> Consultation:
    """The consultation, or 404 when it is missing or `user` may not see it."""
    return _first_or_404(policy.visible_consultations(user), consultation_id)


def get_contribution_for(user: AnyUser, contribution_id: int) -> Contribution:
    """The contribution (with its consultation), or 404 when missing or forbidden."""
    contribution = _first_or_404(
        Contribution.objects.select_related("consultation", "category", "author", "service"),
        contribution_id,
    )
    if not policy.can_view_contribution(user, contribution):
        raise Http404
    return contribution


def get_comment_for(user: AnyUser, comment_id: int) -> ConsultationComment:
    """The comment, or 404 when missing or forbidden."""
    comment = _first_or_404(
        ConsultationComment.objects.select_related("contribution__consultation", "author"),
        comment_id,
    )
    if not policy.can_view_comment(user, comment):
        raise Http404
    return comment


def get_photo_for(user: AnyUser, photo_id: int) -> ContributionPhoto:
    """A contribution's photo, or 404 when missing or forbidden (for the download view)."""
    photo = _first_or_404(
        ContributionPhoto.objects.select_related("contribution__consultation"), photo_id
    )
    if not policy.can_view_photo(user, photo):
        raise Http404
    return photo


def consultations_for(user: AnyUser) -> QuerySet[Consultation]:
    """Consultations `user` may see, with their published contributions counted."""
    return policy.visible_consultations(user).annotate(
        published_count=Count(
            "contributions",
            filter=Q(contributions__moderation_state=ModerationState.PUBLISHED),
        )
    )


def _with_public_details(qs: QuerySet[Contribution], user: AnyUser) -> QuerySet[Contribution]:
    qs = (
        qs.select_related("category", "author", "service", "consultation")
        .prefetch_related(
            Prefetch("answers", queryset=OfficialAnswer.objects.order_by("created_at", "id")),
            "photos",
        )
        .annotate(
            comment_count=Count(
                "comments", filter=Q(comments__moderation_state=ModerationState.PUBLISHED)
            )
        )
    )
    if user.is_authenticated:
        qs = qs.annotate(
            supported=Exists(Support.objects.filter(contribution=OuterRef("pk"), user=user))
        )
    return qs


def contributions_for(
    user: AnyUser,
    *,
    consultation: Consultation,
    sort: str = "supports",
    category: int | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> QuerySet[Contribution]:
    """The contributions of a consultation `user` may read, sorted and filtered."""
    qs = policy.visible_contributions(user, consultation)
    if category is not None:
        qs = qs.filter(category_id=category)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    qs = _with_public_details(qs, user).annotate(status_rank=_STATUS_RANK)
    return qs.order_by(*SORTS.get(sort, SORTS["supports"]))


def comments_for(user: AnyUser, *, contribution: Contribution) -> QuerySet[ConsultationComment]:
    """The comments of a contribution that `user` may read, oldest first."""
    return policy.visible_comments(user, contribution).select_related("author")


def my_requests(user: AnyUser) -> QuerySet[Contribution]:
    """ "Mes demandes": the user's own contributions in every state, with public answers."""
    if not user.is_authenticated or not user.is_active:
        return Contribution.objects.none()
    return _with_public_details(Contribution.objects.filter(author=user), user).order_by(
        "-created_at", "-id"
    )


def _public_changes() -> QuerySet[StatusChange]:
    """Status changes without who made them (that is for staff only)."""
    return StatusChange.objects.only(
        "id", "contribution_id", "from_status", "to_status", "reason", "created_at"
    ).order_by("created_at", "id")


def my_requests_with_history(user: AnyUser) -> QuerySet[Contribution]:
    """`my_requests`, each with its public status history in `public_history`."""
    return my_requests(user).prefetch_related(
        Prefetch("status_changes", queryset=_public_changes(), to_attr="public_history")
    )


def public_status_history(user: AnyUser, *, contribution: Contribution) -> QuerySet[StatusChange]:
    """Status changes of a readable request; who made them is for staff only (don't show it)."""
    if not policy.can_view_contribution(user, contribution):
        return StatusChange.objects.none()
    return _public_changes().filter(contribution=contribution)


def internal_notes_for(user: AnyUser, *, contribution: Contribution) -> QuerySet[InternalNote]:
    """Internal notes: staff only, nobody else gets any."""
    if not policy.can_view_internal(user):
        return InternalNote.objects.none()
    return InternalNote.objects.filter(contribution=contribution).select_related("author")


def triage_list(
    user: AnyUser,
    *,
    consultation: Consultation,
    sort: str = "age",
    status: str | None = None,
    service: int | None = None,
    quick_win: bool | None = None,
) -> QuerySet[Contribution]:
    """Requests to follow up (staff), with `overdue` when a quick win is past its target date."""
    if not policy.can_view_internal(user):
        return Contribution.objects.none()
    qs = Contribution.objects.filter(
        consultation=consultation, kind__in=Contribution.FOLLOWED_KINDS
    ).exclude(moderation_state=ModerationState.HIDDEN)
    if status:
        qs = qs.filter(status=status)
    if service is not None:
        qs = qs.filter(service_id=service)
    if quick_win is not None:
        qs = qs.filter(quick_win=quick_win)
    today = timezone.localdate()
    open_statuses = [Contribution.Status.RECEIVED, Contribution.Status.IN_PROGRESS]
    return (
        qs.select_related("category", "service", "author")
        .annotate(
            overdue=Q(target_date__lt=today, status__in=open_statuses),
            answered=Exists(OfficialAnswer.objects.filter(contribution=OuterRef("pk"))),
            note_count=Count("internal_notes"),
        )
        .order_by(*TRIAGE_SORTS.get(sort, TRIAGE_SORTS["age"]))
    )


def moderation_queue(
    user: AnyUser, *, consultation: Consultation | None = None
) -> dict[str, QuerySet]:
    """What `user` moderates: pending contributions and comments, and unresolved reports."""
    consultations = policy.moderated_consultations(user)
    if consultation is not None:
        consultations = consultations.filter(pk=consultation.pk)
    ids = consultations.values("pk")
    return {
        "contributions": Contribution.objects.filter(
            consultation__in=ids, moderation_state=ModerationState.PENDING
        )
        .select_related("consultation", "category", "author")
        .order_by("created_at", "id"),
        "comments": ConsultationComment.objects.filter(
            contribution__consultation__in=ids, moderation_state=ModerationState.PENDING
        )
        .select_related("contribution", "author")
        .order_by("created_at", "id"),
        "reports": Report.objects.filter(resolved=False)
        .filter(
            Q(contribution__consultation__in=ids) | Q(comment__contribution__consultation__in=ids)
        )
        .select_related("contribution", "comment__contribution", "reporter")
        .order_by("created_at", "id"),
    }


def hidden_for_moderation(user: AnyUser, *, consultation: Consultation) -> dict[str, QuerySet]:
    """What a consultation's moderators hid, newest first, so that they may restore it."""
    moderated = policy.moderated_consultations(user).filter(pk=consultation.pk).values("pk")
    return {
        "contributions": Contribution.objects.filter(
            consultation__in=moderated, moderation_state=ModerationState.HIDDEN
        )
        .select_related("category", "author")
        .order_by("-updated_at", "-id"),
        "comments": ConsultationComment.objects.filter(
            contribution__consultation__in=moderated, moderation_state=ModerationState.HIDDEN
        )
        .select_related("contribution", "author")
        .order_by("-created_at", "-id"),
    }


def get_report_for_moderator(user: AnyUser, report_id: int) -> Report:
    """A report on something `user` moderates; 404 alike for unknown and not theirs."""
    report = _first_or_404(
        Report.objects.select_related(
            "contribution__consultation", "comment__contribution__consultation"
        ),
        report_id,
    )
    target = report.contribution or report.comment.contribution
    if not policy.can_moderate(user, target.consultation):
        raise Http404
    return report


def followed_consultations(user: AnyUser) -> QuerySet[Consultation]:
    """The consultations of the follow-up pages, with what waits: contributions pending
    moderation and requests not yet handled."""
    if not policy.can_follow_consultations(user):
        return Consultation.objects.none()
    return consultations_for(user).annotate(
        pending_count=Count(
            "contributions", filter=Q(contributions__moderation_state=ModerationState.PENDING)
        ),
        open_request_count=Count(
            "contributions",
            filter=Q(
                contributions__status__in=[
                    Contribution.Status.RECEIVED,
                    Contribution.Status.IN_PROGRESS,
                ],
                contributions__moderation_state__in=[
                    ModerationState.PENDING,
                    ModerationState.PUBLISHED,
                ],
            ),
        ),
    )


def staff_history(user: AnyUser, *, contribution: Contribution) -> dict[str, QuerySet]:
    """A request's status changes with who made them, and its moderation decisions (staff)."""
    if not policy.can_view_internal(user):
        return {
            "history": StatusChange.objects.none(),
            "decisions": ModerationDecision.objects.none(),
        }
    return {
        "history": StatusChange.objects.filter(contribution=contribution)
        .select_related("changed_by")
        .order_by("created_at", "id"),
        "decisions": ModerationDecision.objects.filter(contribution=contribution)
        .select_related("moderator")
        .order_by("created_at", "id"),
    }


def moderation_log(user: AnyUser, *, consultation: Consultation) -> QuerySet[ModerationDecision]:
    """Every decision on a consultation's contributions and comments (moderators and staff)."""
    if not (policy.can_view_internal(user) or policy.can_moderate(user, consultation)):
        return ModerationDecision.objects.none()
    return (
        ModerationDecision.objects.filter(
            Q(contribution__consultation=consultation)
            | Q(comment__contribution__consultation=consultation)
        )
        .select_related("moderator", "contribution", "comment")
        .order_by("-created_at", "-id")
    )


def answer_templates_for(user: AnyUser, *, contribution: Contribution) -> QuerySet[AnswerTemplate]:
    """Templates of the consultation's services, the routed service's first (staff only)."""
    if not policy.can_triage(user, contribution):
        return AnswerTemplate.objects.none()
    service_ids = contribution.consultation.services.values("pk")
    routed = contribution.service_id or 0
    return (
        AnswerTemplate.objects.filter(service__in=service_ids)
        .select_related("service")
        .annotate(routed=Q(service_id=routed))
        .order_by("-routed", "service__name", "title")
    )
