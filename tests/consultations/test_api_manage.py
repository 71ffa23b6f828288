"""The consultations API for the agency: creating and editing a consultation, and dismissing
unfounded reports. Staff only (as the staff pages), bad input refused in French with nothing
written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consultations import services
from consultations.models import Category, Consultation, Report
from tests.consultations import test_api
from tests.consultations.conftest import shift_to
from tests.consultations.test_api import V1, api, send

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Introuvable."}
unchanged = test_api.unchanged  # the fixture: `with unchanged():` writes nothing


def new_settings(world, **fields) -> dict:
    now = timezone.now()
    return {
        "title": "Visite du quartier Ouest",
        "neighbourhoods": "Ouest",
        "opens_at": (now + timedelta(days=2)).isoformat(),
        "closes_at": (now + timedelta(days=20)).isoformat(),
        "visit_date": (now + timedelta(days=22)).date().isoformat(),
        "moderation": "a_priori",
        "officials": [world.users["elected"].pk],
        "moderators": [world.users["moderator"].pk],
        "services": [world.service.pk],
        "categories": ["voirie", "écoles"],
    } | fields


def consultation_path(world, name: str = "open") -> str:
    return f"{V1}/consultations/{world.consultations[name].pk}"


# --- Creating -----------------------------------------------------------------------------


def assert_refused(response, status: int, field: str, message: str) -> None:
    """A 400 names the field and says why in French; a 422 (schema) points at the field."""
    assert response.status_code == status, response.content
    detail = response.json()
    if status == 400:
        assert message in detail["detail"]
        assert field in detail["errors"]
    else:
        assert any(field in error["loc"] for error in detail["detail"])
        if message:
            assert any(message in error["msg"] for error in detail["detail"])


def test_staff_create_a_consultation_that_the_public_sees_from_its_opening_date(world):
    u = world.users
    response = send(api(u["staff"]), "post", f"{V1}/consultations", new_settings(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "upcoming"
    assert [c["name"] for c in body["categories"]] == ["voirie", "écoles"]
    assert body["moderator_ids"] == [u["moderator"].pk]
    assert body["official_ids"] == [u["elected"].pk]
    assert body["service_ids"] == [world.service.pk]
    created = Consultation.objects.get(pk=body["id"])
    assert created.created_by == u["staff"]

    path = f"{V1}/consultations/{created.pk}"
    for who in (None, u["author"], u["external"]):
        assert api(who).get(path).status_code == 404
    assert "Visite du quartier Ouest" not in api().get(f"{V1}/consultations").content.decode()

    shift_to(created, "open")  # the opening date has come
    seen = api().get(path)
    assert seen.status_code == 200
    assert seen.json()["title"] == "Visite du quartier Ouest"
    assert "moderator_ids" not in seen.json()
    assert "Visite du quartier Ouest" in api().get(f"{V1}/consultations").content.decode()
    assert api(u["author"]).get(path).json()["me"]["can_contribute"] is True


def test_without_categories_a_consultation_gets_the_default_ones(world):
    settings = new_settings(world)
    del settings["categories"]
    response = send(api(world.users["staff"]), "post", f"{V1}/consultations", settings)
    assert response.status_code == 201, response.content
    assert Category.objects.filter(consultation_id=response.json()["id"]).count() > 2


@pytest.mark.parametrize("who", ["author", "external", "elected"])
def test_only_staff_create_or_edit_consultations_others_get_a_404(world, unchanged, who):
    client = api(world.users[who])
    with unchanged():
        created = send(client, "post", f"{V1}/consultations", new_settings(world))
        assert created.status_code == 404, created.content
        assert created.json() == NOT_FOUND
        edited = send(client, "patch", consultation_path(world), {"title": "Piratée"})
        assert edited.status_code == 404
        assert edited.json() == NOT_FOUND


def test_anonymous_visitors_get_a_401_and_nothing_is_written(world, unchanged):
    with unchanged():
        assert send(api(), "post", f"{V1}/consultations", new_settings(world)).status_code == 401
        assert send(api(), "patch", consultation_path(world), {"title": "x"}).status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "field", "message"),
    [
        ({"surprise": 1}, 422, "surprise", None),
        ({"title": ""}, 422, "title", "Le titre est obligatoire."),
        ({"title": "x" * 201}, 422, "title", None),
        ({"neighbourhoods": "x" * 301}, 422, "neighbourhoods", None),
        ({"theme": "x" * 121}, 422, "theme", None),
        ({"description": "x" * 5001}, 422, "description", None),
        ({"opens_at": "2026-12-01T09:00:00"}, 422, "opens_at", None),
        ({"closes_at": "3026-12-01T09:00:00+01:00"}, 400, "closes_at", "entre 2000 et 2099"),
        ({"visit_date": "1900-01-01"}, 400, "visit_date", "entre 2000 et 2099"),
        ({"visit_date": "2026-02-30"}, 422, "visit_date", None),
        ({"moderation": "jamais"}, 422, "moderation", None),
        ({"categories": []}, 422, "categories", None),
        ({"categories": ["x" * 61]}, 422, "categories", None),
        ({"categories": [f"c{i}" for i in range(31)]}, 422, "categories", None),
        ({"moderators": list(range(1, 52))}, 422, "moderators", None),
        ({"officials": [0]}, 422, "officials", None),
        (
            {"closes_at": "2000-01-01T00:00:00+00:00"},
            400,
            "closes_at",
            "La clôture doit suivre l'ouverture.",
        ),
        ({"officials": [999_999]}, 400, "officials", "Élu inconnu."),
        ({"services": [999_999]}, 400, "services", "Service inconnu."),
        ({"moderators": ["ELECTED"]}, 400, "moderators", "agents de l'agence"),
        ({"officials": ["CITIZEN"]}, 400, "officials", "doivent être des élus"),
    ],
)
def test_bad_consultations_are_refused_in_french_and_nothing_is_written(
    world, unchanged, change, status, field, message
):
    people = {"ELECTED": world.users["elected"].pk, "CITIZEN": world.users["author"].pk}
    change = {k: [people.get(v, v) for v in x] if isinstance(x, list) else x
              for k, x in change.items()}  # fmt: skip
    with unchanged():
        response = send(
            api(world.users["staff"]), "post", f"{V1}/consultations", new_settings(world, **change)
        )
    assert_refused(response, status, field, message)


# --- Editing ------------------------------------------------------------------------------


def test_staff_change_only_the_given_settings_and_the_categories_stay(world):
    u = world.users
    found = world.consultations["open"]
    categories = list(found.categories.values_list("name", flat=True))
    before = Consultation.objects.get(pk=found.pk)
    response = send(
        api(u["staff"]),
        "patch",
        consultation_path(world),
        {"title": "Visite du quartier Europe — reportée", "moderators": [u["staff"].pk]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["moderator_ids"] == [u["staff"].pk]
    after = Consultation.objects.get(pk=found.pk)
    assert after.title == "Visite du quartier Europe — reportée"
    assert after.slug == before.slug
    assert (after.opens_at, after.closes_at, after.visit_date, after.moderation) == (
        before.opens_at,
        before.closes_at,
        before.visit_date,
        before.moderation,
    )
    assert list(after.officials.all()) == [u["elected"]]
    assert list(after.services.all()) == [world.service]
    assert list(after.categories.values_list("name", flat=True)) == categories
    assert api().get(consultation_path(world)).json()["title"] == after.title
    # The former moderator no longer moderates it.
    assert api(u["moderator"]).get(f"{V1}/moderation/queue").json()["counts"]["contributions"] == 0

    cleared = send(api(u["staff"]), "patch", consultation_path(world), {"visit_date": None})
    assert cleared.status_code == 200
    assert cleared.json()["visit_date"] is None


@pytest.mark.parametrize(
    ("change", "status", "field", "message"),
    [
        ({}, 400, "__all__", "Indiquez au moins un réglage à modifier."),
        ({"categories": ["voirie"]}, 422, "categories", None),
        ({"title": None}, 422, "title", None),
        ({"title": " "}, 422, "title", "Le titre est obligatoire."),
        ({"opens_at": "2099-12-31T00:00:00+00:00"}, 400, "closes_at", "La clôture doit suivre"),
        ({"moderators": [999_999]}, 400, "moderators", "inconnu"),
    ],
)
def test_bad_edits_are_refused_whole_in_french(world, unchanged, change, status, field, message):
    with unchanged():
        response = send(api(world.users["staff"]), "patch", consultation_path(world), change)
    assert_refused(response, status, field, message)


def test_editing_an_unknown_consultation_is_a_404(world, unchanged):
    with unchanged():
        response = send(
            api(world.users["staff"]), "patch", f"{V1}/consultations/999999", {"title": "x"}
        )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# --- Dismissing reports -------------------------------------------------------------------


def dismiss_path(target) -> str:
    return f"{V1}/moderation/{target.pk}/reports/dismiss"


def test_moderators_dismiss_reports_and_the_content_leaves_the_queue_as_it_was(world, unchanged):
    u = world.users
    client = api(u["moderator"])
    target = world.contributions["published"]
    queue = client.get(f"{V1}/moderation/queue").json()
    assert [r["target_id"] for r in queue["reports"]] == [target.pk]

    with unchanged():
        other_staff = send(api(u["staff"]), "post", dismiss_path(target), {})
        assert other_staff.status_code == 403
        for who in ("author", "other_citizen", "external", "elected"):
            refused = send(api(u[who]), "post", dismiss_path(target), {})
            assert refused.status_code == 404, who
            assert refused.json() == NOT_FOUND
        assert send(api(), "post", dismiss_path(target), {}).status_code == 401
        unknown = send(client, "post", f"{V1}/moderation/999999/reports/dismiss", {})
        assert unknown.status_code == 404
        assert send(client, "post", dismiss_path(target), {"target": "post"}).status_code == 422
        assert send(client, "post", dismiss_path(target), {"surprise": 1}).status_code == 422
        nothing = send(client, "post", dismiss_path(world.contributions["others"]), {})
        assert nothing.status_code == 400
        assert nothing.json()["detail"] == "Aucun signalement en attente sur ce contenu."

    dismissed = send(client, "post", dismiss_path(target), {})
    assert dismissed.status_code == 200, dismissed.content
    assert dismissed.json() == {"target": "contribution", "target_id": target.pk, "dismissed": 1}
    assert Report.objects.get(pk=world.report.pk).resolved
    after = client.get(f"{V1}/moderation/queue").json()
    assert after["reports"] == []
    assert after["counts"]["reports"] == 0
    assert api().get(f"{V1}/contributions/{target.pk}").json()["moderation_state"] == "published"
    again = send(client, "post", dismiss_path(target), {})
    assert again.status_code == 400


def test_reports_on_a_comment_are_dismissed_with_target_comment(world):
    u = world.users
    comment = world.comments["published"]
    services.report_comment(reporter=u["other_citizen"], comment=comment, reason="Injurieux")
    services.report_comment(reporter=u["staff"], comment=comment, reason="Hors sujet")
    client = api(u["moderator"])
    assert client.get(f"{V1}/moderation/queue").json()["counts"]["reports"] == 3
    response = send(client, "post", dismiss_path(comment), {"target": "comment"})
    assert response.status_code == 200, response.content
    assert response.json()["dismissed"] == 2
    reports = client.get(f"{V1}/moderation/queue").json()["reports"]
    assert [(r["target"], r["target_id"]) for r in reports] == [
        ("contribution", world.contributions["published"].pk)
    ]
