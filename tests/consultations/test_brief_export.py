"""The visit brief and the open-data export match the data; the export holds no personal
data; a citizen can take their data away and leave; lists cost a constant number of queries."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from consultations import brief, export, selectors, services
from consultations.models import Consultation, Contribution, Support
from tests.consultations.conftest import contribute, shift_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Agnès Agent", email="agnes@agence.test")


@pytest.fixture
def citizens(make_user) -> list[User]:
    names = ["Camille Durand", "Bruno Martin", "Nina Petit", "Omar Benali"]
    return [
        make_user(User.Kind.CITIZEN, display_name=n, email=f"{n.split()[0].lower()}@mail.test")
        for n in names
    ]


@pytest.fixture
def setting(make_consultation, agent, settings):
    """Four published contributions, one hidden, one pending; supports, answers, statuses."""
    settings.CONSULTATION_FORBIDDEN_WORDS = ["ordure"]
    voirie = services.create_service(actor=agent, name="Service voirie")
    c = make_consultation(agent, services=[voirie], moderators=[agent])
    cat = {x.name: x.pk for x in c.categories.all()}
    camille, bruno, nina, omar = citizens = pytest.citizens
    a = contribute(
        camille,
        c,
        title="Nid-de-poule dangereux",
        body="Un énorme nid-de-poule devant le 12, les vélos tombent. " * 8,
        category=cat["voirie"],
        place="12 bis rue Victor Hugo",
        latitude="48.856613",
        longitude="2.352222",
    )
    b = contribute(
        bruno,
        c,
        kind="signalement",
        title="Lampadaire éteint",
        body="Plus de lumière le soir.",
        category=cat["éclairage"],
        place="rue Victor-Hugo",
    )
    idea = contribute(
        nina,
        c,
        kind="idee",
        title='=HYPERLINK("http://x.test")',
        body="Un jardin partagé place de l'Europe.",
        category=cat["espaces verts"],
        place="Place de l'Europe",
    )
    q = contribute(omar, c, kind="question", title="Horaires ?", category=cat["autre"])
    hidden = contribute(omar, c, title="Caché", category=cat["voirie"])
    services.moderate_contribution(
        moderator=agent, contribution=hidden, action="hide", reason="doublon"
    )
    pending = contribute(omar, c, title="Une ordure", category=cat["voirie"])
    for supporter in (bruno, nina, omar):
        services.support(actor=supporter, contribution=a)
    for supporter in (camille, bruno):
        services.support(actor=supporter, contribution=idea)
    services.support(actor=camille, contribution=b)
    services.route_contribution(actor=agent, contribution=a, service=voirie)
    services.change_status(actor=agent, contribution=a, status="en_cours")
    services.change_status(actor=agent, contribution=a, status="traite")
    services.answer_contribution(
        author=agent, contribution=a, text="Rebouché le 3.", signed_by="Élise Maire, adjointe"
    )
    services.add_internal_note(author=agent, contribution=a, text="Secret interne")
    Contribution.objects.filter(pk=b.pk).update(created_at=timezone.now() - timedelta(days=4))
    services.add_comment(author=bruno, contribution=a, body="Merci Camille !")
    return {
        "consultation": c,
        "a": a,
        "b": b,
        "idea": idea,
        "q": q,
        "hidden": hidden,
        "pending": pending,
        "citizens": citizens,
    }


@pytest.fixture(autouse=True)
def _citizens(citizens):
    pytest.citizens = citizens
    yield
    del pytest.citizens


def test_the_brief_matches_the_data(setting):
    result = brief.compute_brief(consultation=setting["consultation"])
    a, b, idea, q = (setting[k] for k in ("a", "b", "idea", "q"))
    assert result.total == 4
    assert [c.pk for c in result.top] == [a.pk, idea.pk, b.pk, q.pk]
    assert dict(result.by_category) == {
        "voirie": 1,
        "propreté": 0,
        "sécurité": 0,
        "éclairage": 1,
        "transports": 0,
        "commerces": 0,
        "espaces verts": 1,
        "autre": 1,
    }
    assert result.by_place == [("rue Victor Hugo", 2), ("Place de l'Europe", 1)]
    assert [(p.contribution.pk, p.age_days) for p in result.unanswered] == [(b.pk, 4)]
    assert [c.pk for c in result.handled_before_visit] == [a.pk]
    assert [q.contribution.pk for q in result.quotes] == [a.pk, idea.pk, b.pk]
    assert result.quotes[0].excerpt.endswith("…")
    assert len(result.quotes[0].excerpt) <= brief.QUOTE_LENGTH + 1


def test_handled_after_the_visit_does_not_count_as_before(setting):
    consultation = setting["consultation"]
    Consultation.objects.filter(pk=consultation.pk).update(visit_date=timezone.localdate())
    consultation.refresh_from_db()
    assert brief.compute_brief(consultation=consultation).handled_before_visit == []


@pytest.mark.parametrize("extra", [0, 12])
def test_the_brief_costs_two_queries_whatever_the_size(
    setting, extra, django_assert_num_queries, agent
):
    consultation = setting["consultation"]
    for i in range(extra):
        contribute(agent, consultation, title=f"Demande {i}", place=f"{i} rue {i % 3}")
    with django_assert_num_queries(2):
        brief.compute_brief(consultation=consultation)


def test_the_export_is_only_for_a_closed_consultation(setting):
    with pytest.raises(ValidationError, match="close"):
        export.export_rows(consultation=setting["consultation"])


def test_the_export_matches_the_published_data(setting):
    consultation = shift_to(setting["consultation"], "closed")
    rows = {r["id"]: r for r in export.export_rows(consultation=consultation)}
    a, hidden, pending = setting["a"], setting["hidden"], setting["pending"]
    assert set(rows) == {setting[k].pk for k in ("a", "b", "idea", "q")}
    assert hidden.pk not in rows
    assert pending.pk not in rows
    row = rows[a.pk]
    assert row["lieu"] == "rue Victor Hugo"
    assert (row["latitude"], row["longitude"]) == ("48.857", "2.352")
    assert row["soutiens"] == 3
    assert row["statut"] == "traite"
    assert row["reponses"][0]["texte"] == "Rebouché le 3."
    assert row["reponses"][0]["signataire"] == "Service voirie"
    assert row["date"] == timezone.localdate(a.created_at).isoformat()
    assert row["auteur"] == "un habitant"

    document = export.export_json(consultation=consultation)
    assert document["licence"]["nom"] == "Licence Ouverte 2.0"
    assert [f["champ"] for f in document["dictionnaire"]] == list(row)
    parsed = list(csv.reader(io.StringIO(export.export_csv(consultation=consultation))))
    assert parsed[0] == list(row)
    assert len(parsed) == 5
    titles = [line[3] for line in parsed[1:]]
    assert '\'=HYPERLINK("http://x.test")' in titles  # never a formula in a spreadsheet
    assert "| lieu | texte |" in export.data_dictionary_markdown()
    assert export.data_dictionary_csv().splitlines()[0] == "champ,type,description"


def test_the_export_holds_no_personal_data(setting, agent):
    consultation = shift_to(setting["consultation"], "closed")
    outputs = "\n".join(
        [
            export.export_csv(consultation=consultation),
            export.export_json_text(consultation=consultation),
            json.dumps(export.export_json(consultation=consultation)),
        ]
    )
    for person in [*setting["citizens"], agent]:
        for value in (person.display_name, person.email, person.handle):
            assert value not in outputs, value
        assert f'"user": {person.pk}' not in outputs
    for secret in ("Élise Maire", "12 bis", "48.856613", "Secret interne", "Caché", "ordure"):
        assert secret not in outputs
    assert "auteur" in outputs
    assert "user" not in outputs.lower().replace("ugc", "")


# --- RGPD ------------------------------------------------------------------------------------


def test_a_citizen_downloads_all_their_consultation_data(setting):
    camille = setting["citizens"][0]
    data = json.loads(json.dumps(export.citizen_data(camille)))
    assert data["compte"]["email"] == "camille@mail.test"
    assert [c["titre"] for c in data["contributions"]] == ["Nid-de-poule dangereux"]
    assert data["contributions"][0]["reponses"][0]["texte"] == "Rebouché le 3."
    assert len(data["soutiens"]) == 2
    assert "Secret interne" not in json.dumps(data)


def test_a_forgotten_citizen_leaves_contributions_as_un_habitant(setting):
    camille, bruno = setting["citizens"][:2]
    a, b = setting["a"], setting["b"]
    services.forget_citizen(user=camille)
    camille.delete()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.author is None
    assert a.author_display == "un habitant"
    assert b.support_count == 1  # her support still counts, but nothing links it to her
    assert not Support.objects.filter(user_id=camille.pk).exists()
    bruno.delete()  # without forget_citizen: the foreign keys give the same result
    comment = a.comments.get()
    assert (comment.author, comment.author_display) == (None, "un habitant")


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 10])
def test_lists_cost_a_constant_number_of_queries(
    setting, extra, agent, django_assert_max_num_queries, settings
):
    settings.CONSULTATION_CONTRIBUTIONS_PER_HOUR = 100
    consultation = setting["consultation"]
    camille = setting["citizens"][0]
    for i in range(extra):
        c = contribute(camille if i % 2 else agent, consultation, title=f"Demande {i}")
        services.answer_contribution(author=agent, contribution=c, text="Vu.")
    for user in (camille, agent):
        with django_assert_max_num_queries(3):
            rows = list(selectors.contributions_for(user, consultation=consultation))
            for row in rows:
                _ = [a.signed_by for a in row.answers.all()], row.category.name, row.author_display
                _ = [p.key for p in row.photos.all()]
    with django_assert_max_num_queries(3):
        for row in selectors.my_requests(camille):
            _ = [a.text for a in row.answers.all()], row.category.name
    with django_assert_max_num_queries(1):
        for row in selectors.triage_list(agent, consultation=consultation):
            _ = row.overdue, row.service, row.category.name, row.author_display
    with django_assert_max_num_queries(4):
        queue = selectors.moderation_queue(agent)
        for qs in queue.values():
            list(qs)
    with django_assert_max_num_queries(1):
        list(selectors.consultations_for(camille))
