"""API: one's own profile and the directory."""

from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from accounts import selectors, services
from accounts.models import User
from accounts.policy import can_browse_directory
from accounts.schemas import MeOut, MePatch, PersonOut
from config.pagination import Pagination

router = Router(tags=["people"])


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> User:
    return request.auth


@router.patch("/me", response=MeOut)
def update_me(request: HttpRequest, payload: MePatch) -> User:
    return services.update_profile(
        actor=request.auth, user=request.auth, data=payload.model_dump(exclude_unset=True)
    )


@router.get("/people", response=list[PersonOut])
@paginate(Pagination)
def people(
    request: HttpRequest, q: str = Query("", max_length=selectors.SEARCH_MAX_LENGTH)
) -> object:
    if not can_browse_directory(request.auth):
        raise Http404  # citizens have no directory: the address is unknown to them
    return selectors.search_people(request.auth, q)


@router.get("/people/{person_id}", response=PersonOut)
def person(request: HttpRequest, person_id: int) -> User:
    return selectors.get_person_for(request.auth, person_id)
