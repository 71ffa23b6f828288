"""Reads of people and tokens, already filtered by accounts.policy."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts import policy
from accounts.models import ApiToken, User

SEARCH_MAX_LENGTH = 100


def search_people(viewer: User, query: str = "") -> QuerySet[User]:
    """Directory search over name, handle, job title, organisation, department and expertise."""
    people = policy.visible_people(viewer).select_related("organisation")
    # PostgreSQL cannot hold NUL in a string: a NUL in the query would fail the whole search.
    for term in query.replace("\x00", "")[:SEARCH_MAX_LENGTH].split():
        people = people.filter(
            Q(display_name__icontains=term)
            | Q(handle__icontains=term)
            | Q(job_title__icontains=term)
            | Q(department__icontains=term)
            | Q(expertise__icontains=term)
            | Q(organisation__name__icontains=term)
        )
    return people.order_by("display_name", "id")


def get_person_for(viewer: User, person_id: int) -> User:
    """The person with this id if `viewer` may see them; 404 alike for missing and forbidden."""
    try:
        return policy.visible_people(viewer).select_related("organisation").get(pk=person_id)
    except (User.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def inactive_citizens(before: datetime) -> QuerySet[User]:
    """Citizens' accounts whose last sign-in (or sign-up, if they never signed in), annotated
    `last_seen`, is older than `before` (the retention of accounts, accounts.services)."""
    return (
        User.objects.filter(kind=User.Kind.CITIZEN, is_superuser=False, is_staff=False)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__lt=before)
    )


def retention_warnings_given(
    keys: list[str], *, refusals: int | None = None
) -> dict[str, datetime]:
    """When each retention warning among `keys` (accounts.services.retention_warning_key) was
    given: sent, or found to have no usable address (the delivery skipped); with `refusals`,
    also an address the mail server refused for good on that many attempts, given from the
    first. The keys of warnings not given are absent."""
    from notifications.models import EmailDelivery  # notifications imports accounts

    given = Q(sent_at__isnull=False)
    if refusals is not None:
        given |= Q(sent_at__isnull=True, attempts__gte=refusals)
    rows = EmailDelivery.objects.filter(given, key__in=keys).values_list(
        "key", "sent_at", "created_at"
    )
    return {key: sent_at or created_at for key, sent_at, created_at in rows}
