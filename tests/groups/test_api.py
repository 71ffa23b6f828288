"""The groups API: status codes, JSON errors, 404 for forbidden slugs, constant queries."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import create_api_token
from groups import policy, services
from groups.models import Group, Invitation, JoinRequest, Membership
from tests.factories import MembershipFactory

KINDS = [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN]
VISIBILITIES = [Group.Visibility.PUBLIC, Group.Visibility.PRIVATE, Group.Visibility.UNLISTED]
API = "/api/v1/groups"


def api_client(user: User) -> Client:
    _token, raw = create_api_token(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client: Client, url: str, data: dict | None = None):
    return client.post(url, data if data is not None else {}, content_type="application/json")


def patch(client: Client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


def error(response, status: int) -> str:
    """A JSON API error with its French `detail`."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail
    return detail


# --- Reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_forbidden_groups_are_404_like_unknown_ones(people, make_group, kind, visibility):
    group = make_group(visibility, open_to_external=True)
    client = api_client(people[kind])
    visible = policy.can_see_group(people[kind], group)
    readable = policy.can_read_group(people[kind], group)

    detail = client.get(f"{API}/{group.slug}")
    assert detail.status_code == (200 if visible else 404)
    members = client.get(f"{API}/{group.slug}/members")
    assert members.status_code == (200 if readable else 404)
    listed = client.get(API)
    if kind == User.Kind.CITIZEN:
        error(listed, 404)  # citizens have no workspace API at all
    else:
        assert (group.slug in {g["slug"] for g in listed.json()["items"]}) is visible
    if not visible:
        assert error(detail, 404) == error(client.get(f"{API}/inconnu"), 404)
        error(post(client, f"{API}/{group.slug}/join"), 404)
        error(patch(client, f"{API}/{group.slug}", {"name": "Pris"}), 404)
        error(client.delete(f"{API}/{group.slug}/members/{group.created_by_id}"), 404)
        error(post(client, f"{API}/{group.slug}/invitations", {"email": "x@example.test"}), 404)


def test_a_group_in_json(staff, make_group, make_user):
    group = make_group(
        Group.Visibility.PRIVATE,
        name="Le Garage",
        open_to_external=True,
        charter="Charte",
        members=(staff, make_user()),
    )
    body = api_client(staff).get(f"{API}/{group.slug}").json()
    assert body["name"] == "Le Garage"
    assert body["visibility"] == "private"
    assert body["open_to_external"] is True
    assert body["charter"] == "Charte"
    assert body["member_count"] == 3
    assert body["is_member"] is True
    assert body["my_role"] == "member"
    assert body["request_pending"] is False
    assert body["avatar_url"] is None
    assert body["url"] == f"/groupes/{group.slug}/"


def test_the_list_searches_filters_and_paginates(staff, make_group):
    mine = make_group(Group.Visibility.PRIVATE, name="Royeux", members=(staff,))
    public = make_group(Group.Visibility.PUBLIC, name="Hanovre")
    garage = make_group(Group.Visibility.PRIVATE, name="Garage", open_to_external=True)
    client = api_client(staff)

    def slugs(query: str) -> list[str]:
        response = client.get(f"{API}?{query}")
        assert response.status_code == 200
        return [g["slug"] for g in response.json()["items"]]

    assert slugs("") == [garage.slug, public.slug, mine.slug]
    assert slugs("filter=mine") == [mine.slug]
    assert slugs("filter=public") == [public.slug]
    assert slugs("filter=external") == [garage.slug]
    assert slugs("q=hano") == [public.slug]
    assert slugs("limit=1&offset=1") == [public.slug]
    assert client.get(f"{API}?limit=1").json()["count"] == 3
    error(client.get(f"{API}?filter=nonsense"), 422)
    error(client.get(f"{API}?q=" + "x" * 101), 422)


def test_members_in_json_show_role_organisation_and_end_date(owner, external, make_group):
    group = make_group(owner=owner, open_to_external=True, members=(external,))
    items = api_client(external).get(f"{API}/{group.slug}/members").json()["items"]
    by_id = {item["user"]["id"]: item for item in items}
    assert by_id[owner.pk]["role"] == "owner"
    assert by_id[external.pk]["user"]["kind"] == "external"
    assert by_id[external.pk]["user"]["organisation"]["name"] == "Ferment & Co"
    assert by_id[external.pk]["expires_at"] is None
    assert "email" not in by_id[owner.pk]["user"]


def test_anonymous_requests_get_a_json_401(db, make_group):
    group = make_group()
    for response in (
        Client().get(API),
        Client().get(f"{API}/{group.slug}"),
        post(Client(), f"{API}/{group.slug}/join"),
    ):
        assert error(response, 401).startswith("Authentification requise")


# --- Creating and editing -----------------------------------------------------------------


def test_staff_create_groups_and_own_them(staff):
    client = api_client(staff)
    response = post(
        client, API, {"name": "Foire de Hanovre 2026", "visibility": "public", "charter": ""}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "foire-de-hanovre-2026"
    assert body["my_role"] == "owner"
    assert body["member_count"] == 1


@pytest.mark.parametrize("kind", [User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN])
def test_only_staff_create_groups(people, kind):
    response = post(api_client(people[kind]), API, {"name": "Interdit"})
    if kind == User.Kind.CITIZEN:
        error(response, 404)  # citizens have no workspace API at all
    else:
        assert error(response, 403) == "Vous n'avez pas accès à cette ressource."
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 121},
        {"name": "a\x00b"},
        {"name": "Ok", "visibility": "secret"},
        {"name": "Ok", "description": "x" * 2001},
        {"name": "Ok", "slug": "choisi"},
        {"name": "Ok", "created_by": 1},
    ],
)
def test_invalid_group_bodies_are_refused_and_create_nothing(staff, body):
    error(post(api_client(staff), API, body), 422)
    assert not Group.objects.exists()


def test_malformed_json_is_refused_in_french(staff):
    response = api_client(staff).post(API, "{nope", content_type="application/json")
    assert error(response, 400).startswith("Corps de requête illisible")


def test_managers_patch_the_group_and_members_cannot(owner, staff, make_group):
    group = make_group(owner=owner, members=(staff,), name="Avant")

    response = patch(api_client(owner), f"{API}/{group.slug}", {"description": "Nouvelle"})
    assert response.status_code == 200
    assert response.json()["description"] == "Nouvelle"
    assert response.json()["name"] == "Avant"

    error(patch(api_client(staff), f"{API}/{group.slug}", {"name": "Pris"}), 403)
    error(patch(api_client(owner), f"{API}/{group.slug}", {"slug": "autre"}), 422)
    group.refresh_from_db()
    assert (group.name, group.slug) == ("Avant", group.slug)


def test_closing_a_group_with_external_members_is_a_french_400(owner, external, make_group):
    group = make_group(owner=owner, open_to_external=True, members=(external,))
    response = patch(api_client(owner), f"{API}/{group.slug}", {"open_to_external": False})
    assert error(response, 400).startswith("Retirez d'abord les membres externes")
    assert response.json()["errors"]["open_to_external"]
    group.refresh_from_db()
    assert group.open_to_external


# --- Joining ------------------------------------------------------------------------------


def test_join_answers_200_for_a_public_group_and_202_for_a_private_one(elected, make_group):
    public = make_group(Group.Visibility.PUBLIC)
    private = make_group(Group.Visibility.PRIVATE)
    client = api_client(elected)

    joined = post(client, f"{API}/{public.slug}/join")
    assert (joined.status_code, joined.json()) == (200, {"status": "joined"})
    requested = post(client, f"{API}/{private.slug}/join", {"message": "Bonjour"})
    assert (requested.status_code, requested.json()) == (202, {"status": "requested"})
    assert private.join_requests.get().message == "Bonjour"
    # Without a body at all, too.
    again = client.generic("POST", f"{API}/{private.slug}/join")
    assert again.status_code == 202
    assert private.join_requests.count() == 1

    assert error(post(client, f"{API}/{public.slug}/join"), 400) == (
        "Vous êtes déjà membre de ce groupe."
    )
    error(post(client, f"{API}/{private.slug}/join", {"message": "x" * 501}), 422)
    error(post(client, f"{API}/{private.slug}/join", {"role": "owner"}), 422)


def test_an_unlisted_group_one_has_left_is_404_like_any_hidden_group(staff, make_group):
    group = make_group(Group.Visibility.UNLISTED, members=(staff,))
    services.leave_group(actor=staff, group=group)
    error(post(api_client(staff), f"{API}/{group.slug}/join"), 404)


# --- Requests, invitations, members -------------------------------------------------------


def test_managers_approve_and_refuse_requests(owner, staff, elected, make_group):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    first = services.join_group(actor=staff, group=group)
    second = services.join_group(actor=elected, group=group)
    client = api_client(owner)

    approved = post(client, f"{API}/{group.slug}/requests/{first.pk}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["user"]["id"] == staff.pk
    refused = post(client, f"{API}/{group.slug}/requests/{second.pk}/refuse")
    assert refused.json()["status"] == "refused"

    assert error(post(client, f"{API}/{group.slug}/requests/{second.pk}/approve"), 400) == (
        "Cette demande a déjà été traitée."
    )
    error(post(client, f"{API}/{group.slug}/requests/999999/approve"), 404)
    assert policy.membership_of(staff, group) is not None
    assert policy.membership_of(elected, group) is None


def test_members_cannot_decide_requests(owner, staff, elected, make_group):
    group = make_group(Group.Visibility.PRIVATE, owner=owner, members=(staff,))
    request = services.join_group(actor=elected, group=group)
    error(post(api_client(staff), f"{API}/{group.slug}/requests/{request.pk}/approve"), 403)
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_a_request_of_another_group_is_404(owner, elected, make_group):
    mine = make_group(Group.Visibility.PRIVATE, owner=owner)
    other = make_group(Group.Visibility.PRIVATE)
    request = services.join_group(actor=elected, group=other)
    error(post(api_client(owner), f"{API}/{mine.slug}/requests/{request.pk}/approve"), 404)
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_managers_invite_by_email(owner, staff, make_group, django_capture_on_commit_callbacks):
    group = make_group(owner=owner, open_to_external=True, members=(staff,))
    url = f"{API}/{group.slug}/invitations"

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client(owner), url, {"email": "Lea@Ferment.example"})
    assert response.status_code == 201
    assert response.json()["email"] == "lea@ferment.example"
    assert mail.outbox[0].to == ["lea@ferment.example"]

    assert error(post(api_client(owner), url, {"email": "nope"}), 400) == (
        "Adresse e-mail invalide."
    )
    error(post(api_client(owner), url, {"email": "a@b.c", "role": "owner"}), 422)
    error(post(api_client(staff), url, {"email": "x@example.test"}), 403)
    assert Invitation.objects.count() == 1


def test_deleting_members(owner, staff, elected, make_group):
    group = make_group(owner=owner, members=(staff, elected))
    url = f"{API}/{group.slug}/members"

    error(api_client(staff).delete(f"{url}/{elected.pk}"), 403)
    assert api_client(owner).delete(f"{url}/{elected.pk}").status_code == 204
    assert api_client(staff).delete(f"{url}/{staff.pk}").status_code == 204  # leaving
    error(api_client(owner).delete(f"{url}/{elected.pk}"), 404)  # no longer a member
    assert error(api_client(owner).delete(f"{url}/{owner.pk}"), 400) == (
        "Un groupe garde toujours au moins un propriétaire."
    )
    assert list(group.memberships.values_list("user_id", flat=True)) == [owner.pk]


def test_session_writes_need_the_csrf_token(staff, make_group, client_for):
    group = make_group()
    client = client_for(staff)
    response = client.post(f"{API}/{group.slug}/join", content_type="application/json")
    assert error(response, 403).startswith("Requête refusée : jeton CSRF")
    assert policy.membership_of(staff, group) is None
    client.get("/groupes/")
    response = client.post(
        f"{API}/{group.slug}/join",
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 200


# --- Constant queries ---------------------------------------------------------------------


def test_the_api_lists_cost_the_same_queries_at_two_sizes(owner, make_user, make_group):
    group = make_group(Group.Visibility.PUBLIC, owner=owner, open_to_external=True)
    client = api_client(owner)
    client.get(API)  # the token's first use is recorded once
    counts = []
    for size in (3, 25):
        while Group.objects.count() < size:
            make_group(open_to_external=True, avatar="groups/x.webp")
        while group.memberships.count() < size:
            MembershipFactory(group=group, user=make_user(User.Kind.EXTERNAL))
        with CaptureQueriesContext(connection) as groups:
            assert len(client.get(API).json()["items"]) == size
        with CaptureQueriesContext(connection) as members:
            assert len(client.get(f"{API}/{group.slug}/members").json()["items"]) == size
        counts.append((len(groups), len(members)))
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 5
    assert counts[0][1] <= 6
    assert Membership.objects.filter(group=group).count() == 25
