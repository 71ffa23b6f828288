"""Who finds whom in the directory: every kind of viewer by every kind of person by page and API."""

import pytest

from accounts import policy
from accounts.models import User

# viewer kind -> person kinds whose profile they may open (besides their own)
CAN_SEE = {
    User.Kind.STAFF: {User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL},
    User.Kind.ELECTED: {User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL},
    User.Kind.EXTERNAL: set(),
    User.Kind.CITIZEN: set(),
}
KINDS = list(CAN_SEE)


@pytest.mark.parametrize("viewer_kind", KINDS)
@pytest.mark.parametrize("person_kind", KINDS)
def test_profile_visibility_matrix_holds_in_policy_page_and_api(
    people, make_user, client_for, viewer_kind, person_kind
):
    viewer = people[viewer_kind]
    person = make_user(person_kind)
    expected = person_kind in CAN_SEE[viewer_kind]

    assert policy.can_view_profile(viewer, person) is expected
    assert policy.visible_people(viewer).filter(pk=person.pk).exists() is expected

    client = client_for(viewer)
    page = client.get(f"/annuaire/{person.pk}/")
    assert page.status_code == (200 if expected else 404)
    api = client.get(f"/api/v1/people/{person.pk}")
    assert api.status_code == (200 if expected else 404)
    assert api["Content-Type"] == "application/json; charset=utf-8"
    listed = {item["id"] for item in client.get("/api/v1/people?limit=100").json().get("items", [])}
    assert (person.pk in listed) is expected


@pytest.mark.parametrize("kind", KINDS)
def test_everyone_sees_their_own_profile(people, client_for, kind):
    me = people[kind]
    client = client_for(me)
    assert client.get(f"/annuaire/{me.pk}/").status_code == 200
    assert client.get(f"/api/v1/people/{me.pk}").json()["id"] == me.pk
    assert client.get("/api/v1/me").json()["email"] == me.email


def test_citizens_have_no_directory_page_api_or_menu_entry(citizen, client_for):
    client = client_for(citizen)
    assert client.get("/annuaire/").status_code == 403
    response = client.get("/api/v1/people")
    assert response.status_code == 404  # citizens' API calls to internal data: 404 (issue 7)
    assert response.json() == {"detail": "Introuvable."}
    assert "/annuaire/" not in client.get("/").content.decode()


def test_external_members_find_only_themselves_until_they_share_a_group(
    external, staff, elected, client_for
):
    client = client_for(external)
    page = client.get("/annuaire/").content.decode()
    assert external.display_name in page
    assert staff.display_name not in page
    assert elected.display_name not in page
    items = client.get("/api/v1/people").json()["items"]
    assert [item["id"] for item in items] == [external.pk]


def test_deactivated_people_disappear_from_the_directory(staff, make_user, client_for):
    gone = make_user(User.Kind.STAFF, is_active=False)
    client = client_for(staff)
    assert client.get(f"/annuaire/{gone.pk}/").status_code == 404
    assert gone.display_name not in client.get("/annuaire/").content.decode()


def test_unknown_ids_are_404_alike(staff, client_for):
    client = client_for(staff)
    assert client.get("/annuaire/999999/").status_code == 404
    assert client.get("/api/v1/people/999999").status_code == 404
    assert client.get("/api/v1/people/99999999999999999999").status_code in (404, 422)


def test_directory_search_matches_name_title_organisation_and_expertise(
    staff, make_user, client_for
):
    make_user(User.Kind.STAFF, display_name="Julien Bernard", expertise="foncier, zones d'activité")
    make_user(User.Kind.STAFF, display_name="Sophie Petit", job_title="Responsable incubateur")
    client = client_for(staff)
    for query, expected in [("foncier", "Julien Bernard"), ("incubateur", "Sophie Petit")]:
        names = [p["display_name"] for p in client.get(f"/api/v1/people?q={query}").json()["items"]]
        assert names == [expected]
        assert expected in client.get(f"/annuaire/?q={query}").content.decode()


def test_directory_costs_the_same_number_of_queries_for_5_or_25_people(
    staff, make_user, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(staff)
    counts = []
    for size in (5, 25):
        while User.objects.filter(kind=User.Kind.EXTERNAL).count() < size:
            make_user(User.Kind.EXTERNAL)
        with CaptureQueriesContext(connection) as page:
            assert client.get("/annuaire/").status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert client.get("/api/v1/people?limit=50").status_code == 200
        counts.append((len(page), len(api)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 6
    assert counts[0][1] <= 5
