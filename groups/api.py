"""API routes of the groups app: groups, joining, members, join requests and invitations."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Body, Path, Query, Router, Status
from ninja.pagination import paginate

from accounts.models import User
from config.pagination import Pagination
from groups import policy, selectors, services
from groups.models import Group, JoinRequest
from groups.schemas import (
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    GroupIn,
    GroupOut,
    GroupPatch,
    InvitationIn,
    InvitationOut,
    JoinIn,
    JoinOut,
    JoinRequestOut,
    MemberOut,
)

router = Router(tags=["groups"])

Filter = Literal["all", "mine", "public", "external"]


FILTER_QUERY = Query(
    "all",
    description="all : tous ; mine : mes groupes ; public : publics ; "
    "external : ouverts aux membres externes",
)
OPTIONAL_BODY = Body(None)


def _slug():
    return Path(
        ..., max_length=SLUG_MAX_LENGTH, pattern=SLUG_PATTERN, description="Adresse du groupe"
    )


def _id():
    return Path(..., ge=1, le=2**63 - 1)


def _listed(viewer: User, group_id: int) -> Group:
    """The group with the counts and the viewer's standing that `GroupOut` shows."""
    group = selectors.groups_for_listing(viewer).filter(pk=group_id).first()
    if group is None:  # an administrator made a group they are not in unlisted
        raise Http404
    return group


def _group(request: HttpRequest, slug: str) -> Group:
    return selectors.get_group_for(request.auth, slug)


def _require_manager(viewer: User, group: Group) -> None:
    if not policy.can_manage_group(viewer, group):
        raise PermissionDenied


@router.get("/groups", response=list[GroupOut])
@paginate(Pagination)
def list_groups(
    request: HttpRequest,
    q: str = Query("", max_length=selectors.SEARCH_MAX_LENGTH),
    filter: Filter = FILTER_QUERY,
) -> object:
    if not policy.can_list_groups(request.auth):
        raise PermissionDenied
    return selectors.groups_for_listing(request.auth, query=q, filter=filter)


@router.post("/groups", response={201: GroupOut})
def create_group(request: HttpRequest, payload: GroupIn) -> Status:
    group = services.create_group(actor=request.auth, data=payload.model_dump())
    return Status(201, _listed(request.auth, group.pk))


@router.get("/groups/{slug}", response=GroupOut)
def get_group(request: HttpRequest, slug: str = _slug()) -> Group:
    return _listed(request.auth, _group(request, slug).pk)


@router.patch("/groups/{slug}", response=GroupOut)
def update_group(request: HttpRequest, payload: GroupPatch, slug: str = _slug()) -> Group:
    group = _group(request, slug)
    services.update_group(
        actor=request.auth, group=group, data=payload.model_dump(exclude_unset=True)
    )
    return _listed(request.auth, group.pk)


@router.post("/groups/{slug}/join", response={200: JoinOut, 202: JoinOut})
def join_group(
    request: HttpRequest, slug: str = _slug(), payload: JoinIn = OPTIONAL_BODY
) -> Status:
    """Joins a public group (200), or asks to join a private one (202, a manager decides)."""
    group = _group(request, slug)
    message = payload.message if payload is not None else ""
    result = services.join_group(actor=request.auth, group=group, message=message)
    if isinstance(result, JoinRequest):
        return Status(202, {"status": "requested"})
    return Status(200, {"status": "joined"})


@router.get("/groups/{slug}/members", response=list[MemberOut])
@paginate(Pagination)
def list_members(request: HttpRequest, slug: str = _slug()) -> object:
    return selectors.members_of(request.auth, _group(request, slug))


@router.post("/groups/{slug}/invitations", response={201: InvitationOut})
def invite(request: HttpRequest, payload: InvitationIn, slug: str = _slug()) -> Status:
    """E-mails a personal link, valid once for 14 days, to join the group."""
    group = _group(request, slug)
    return Status(201, services.invite(actor=request.auth, group=group, email=payload.email))


def _decide(request: HttpRequest, slug: str, request_id: int, *, approve: bool) -> JoinRequest:
    group = _group(request, slug)
    _require_manager(request.auth, group)
    if not group.join_requests.filter(pk=request_id).exists():
        raise Http404
    return services.decide_join_request(
        actor=request.auth, request_id=request_id, group=group, approve=approve
    )


@router.post("/groups/{slug}/requests/{request_id}/approve", response=JoinRequestOut)
def approve_request(
    request: HttpRequest, slug: str = _slug(), request_id: int = _id()
) -> JoinRequest:
    return _decide(request, slug, request_id, approve=True)


@router.post("/groups/{slug}/requests/{request_id}/refuse", response=JoinRequestOut)
def refuse_request(
    request: HttpRequest, slug: str = _slug(), request_id: int = _id()
) -> JoinRequest:
    return _decide(request, slug, request_id, approve=False)


@router.delete("/groups/{slug}/members/{user_id}", response={204: None})
def remove_member(request: HttpRequest, slug: str = _slug(), user_id: int = _id()) -> Status:
    """Removes a member (managers), or leaves the group (one's own id)."""
    group = _group(request, slug)
    if user_id != request.auth.pk:
        _require_manager(request.auth, group)
    membership = group.memberships.select_related("user").filter(user_id=user_id).first()
    if membership is None:
        raise Http404
    services.remove_member(actor=request.auth, group=group, user=membership.user)
    return Status(204, None)
