"""Reads of people and tokens, already filtered by accounts.policy."""

from django.db.models import Q, QuerySet
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
