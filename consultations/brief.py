"""The visit brief: what the officials read before the visit, computed in constant queries."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone

from consultations.models import (
    Category,
    Consultation,
    Contribution,
    ModerationState,
    OfficialAnswer,
    StatusChange,
)
from consultations.text import generalise_place, place_key

TOP_COUNT = 10
QUOTE_COUNT = 5
QUOTE_LENGTH = 200
HANDLED = (Contribution.Status.DONE, Contribution.Status.CLOSED)
SETTLED = (*HANDLED, Contribution.Status.REJECTED)


@dataclass(frozen=True)
class PendingRequest:
    contribution: Contribution
    age_days: int


@dataclass(frozen=True)
class Quote:
    contribution: Contribution
    excerpt: str


@dataclass(frozen=True)
class Brief:
    consultation: Consultation
    total: int
    top: list[Contribution] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_place: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[PendingRequest] = field(default_factory=list)
    handled_before_visit: list[Contribution] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


def excerpt(body: str, *, limit: int = QUOTE_LENGTH) -> str:
    """The first words of a text, cut at a word boundary, on one line."""
    flat = " ".join(body.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def compute_brief(*, consultation: Consultation, today: date | None = None) -> Brief:
    """The brief of a consultation from its published contributions (2 queries; check
    `policy.can_view_brief` first)."""
    today = today or timezone.localdate()
    handled_at = (
        StatusChange.objects.filter(contribution=OuterRef("pk"), to_status__in=HANDLED)
        .values("contribution")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    contributions = list(
        Contribution.objects.filter(
            consultation=consultation, moderation_state=ModerationState.PUBLISHED
        )
        .select_related("category", "service")
        .annotate(
            answered=Exists(OfficialAnswer.objects.filter(contribution=OuterRef("pk"))),
            handled_at=Subquery(handled_at),
        )
        .order_by("-support_count", "-created_at", "-id")
    )
    categories = list(Category.objects.filter(consultation=consultation).order_by("position", "id"))

    per_category = {c.pk: 0 for c in categories}
    places: dict[str, list] = {}
    for c in contributions:
        per_category[c.category_id] = per_category.get(c.category_id, 0) + 1
        key = place_key(c.place)
        if key:
            places.setdefault(key, [generalise_place(c.place), 0])[1] += 1

    requests = [c for c in contributions if c.is_request]
    unanswered = sorted(
        (
            PendingRequest(c, (today - timezone.localdate(c.created_at)).days)
            for c in requests
            if not c.answered and c.status not in SETTLED
        ),
        key=lambda p: (-p.age_days, p.contribution.pk),
    )
    visit = consultation.visit_date
    handled = [
        c
        for c in requests
        if c.status in HANDLED
        and c.handled_at is not None
        and (visit is None or timezone.localdate(c.handled_at) < visit)
    ]
    top = contributions[:TOP_COUNT]
    return Brief(
        consultation=consultation,
        total=len(contributions),
        top=top,
        by_category=[(c.name, per_category[c.pk]) for c in categories],
        by_place=sorted(
            ((name, n) for name, n in places.values()), key=lambda item: (-item[1], item[0])
        ),
        unanswered=unanswered,
        handled_before_visit=handled,
        quotes=[Quote(c, excerpt(c.body)) for c in top[:QUOTE_COUNT] if c.support_count > 0],
    )
