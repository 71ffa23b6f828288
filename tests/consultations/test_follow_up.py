"""Request follow-up: routing, statuses, notes, official answers and what the author is told,
answer templates, quick wins, bulk changes, and internal discussions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from consultations import selectors, services
from consultations.models import Consultation, Contribution, Service, StatusChange
from groups.models import Group
from tests.consultations.conftest import contribute
from tests.consultations.test_services import db_state
from tests.social.conftest import add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user) -> User:
    return make_user(User.Kind.STAFF, display_name="Agnès Agent")


@pytest.fixture
def resident(make_user) -> User:
    return make_user(User.Kind.CITIZEN, display_name="Rémi Résident", email="remi@example.test")


@pytest.fixture
def voirie(agent) -> Service:
    return services.create_service(actor=agent, name="Service voirie", email="voirie@ville.test")


@pytest.fixture
def consultation(make_consultation, agent, voirie) -> Consultation:
    return make_consultation(agent, services=[voirie])


@pytest.fixture
def request_(consultation, resident) -> Contribution:
    return contribute(resident, consultation)


def unchanged(action, error=ValidationError, match=None):
    before = db_state()
    with pytest.raises(error, match=match) as raised:
        action()
    assert db_state() == before
    return raised.value


def test_a_request_follows_the_allowed_transitions(agent, request_):
    for status in ("en_cours", "traite", "clos"):
        services.change_status(actor=agent, contribution=request_, status=status)
    history = [(c.from_status, c.to_status) for c in StatusChange.objects.order_by("id")]
    assert history == [("recu", "en_cours"), ("en_cours", "traite"), ("traite", "clos")]
    unchanged(
        lambda: services.change_status(actor=agent, contribution=request_, status="en_cours"),
        match="ne peut pas passer de « Clos » à « En cours »",
    )


def test_skipping_a_step_an_unknown_status_and_an_unreasoned_rejection_are_refused(agent, request_):
    unchanged(
        lambda: services.change_status(actor=agent, contribution=request_, status="traite"),
        match="ne peut pas passer",
    )
    unchanged(
        lambda: services.change_status(actor=agent, contribution=request_, status="fini"),
        match="Statut inconnu",
    )
    unchanged(
        lambda: services.change_status(actor=agent, contribution=request_, status="rejete"),
        match="motivé",
    )
    services.change_status(
        actor=agent, contribution=request_, status="rejete", reason="Voie privée"
    )
    request_.refresh_from_db()
    assert (request_.status, request_.rejection_reason) == ("rejete", "Voie privée")


def test_a_status_change_forged_by_a_citizen_is_refused(request_, resident, make_user):
    unchanged(
        lambda: services.change_status(actor=resident, contribution=request_, status="traite"),
        error=PermissionDenied,
    )
    unchanged(
        lambda: services.change_status(
            actor=make_user(User.Kind.ELECTED), contribution=request_, status="en_cours"
        ),
        error=PermissionDenied,
    )


def test_questions_and_ideas_have_no_status(agent, consultation, resident):
    idea = contribute(resident, consultation, kind="idee")
    unchanged(
        lambda: services.change_status(actor=agent, contribution=idea, status="en_cours"),
        match="ni une demande ni un signalement",
    )


def test_the_author_is_told_of_each_status_change_and_answer_after_commit(
    agent, request_, resident, voirie, published, django_capture_on_commit_callbacks
):
    services.route_contribution(actor=agent, contribution=request_, service=voirie)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(actor=agent, contribution=request_, status="en_cours")
        services.add_internal_note(author=agent, contribution=request_, text="Devis 3 200 €")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_contribution(
            author=agent, contribution=request_, text="Réparation prévue lundi."
        )
    assert answer.signed_by == "Service voirie"
    assert [(ids, kind, data["kind"]) for ids, kind, data in published] == [
        ([resident.pk], "consultation.request.updated", "status"),
        ([resident.pk], "consultation.request.updated", "answer"),
    ]
    assert published[0][2]["status_label"] == "En cours"
    assert [m.to for m in mail.outbox] == [["remi@example.test"], ["remi@example.test"]]
    assert "En cours" in mail.outbox[0].subject
    assert "Réparation prévue lundi." in mail.outbox[1].body
    assert "Service voirie a répondu" in mail.outbox[1].body
    everything = str([(m.subject, m.body) for m in mail.outbox]) + str(published)
    assert "Devis" not in everything  # internal notes never leave


def test_nothing_is_sent_when_the_transaction_rolls_back(
    agent, request_, consultation, resident, published, django_capture_on_commit_callbacks
):
    question = contribute(resident, consultation, kind="question", title="Q")
    # The first request moves (and schedules its events), then the question fails the batch.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.bulk_change_status(
            actor=agent, contribution_ids=[request_.pk, question.pk], status="en_cours"
        )
    assert published == []
    assert mail.outbox == []
    request_.refresh_from_db()
    assert request_.status == "recu"
    assert not StatusChange.objects.exists()


def test_routing_needs_a_service_of_the_consultation(agent, request_):
    other = services.create_service(actor=agent, name="Service parcs")
    unchanged(
        lambda: services.route_contribution(actor=agent, contribution=request_, service=other),
        match="pas rattaché",
    )


def test_answer_templates_fill_known_placeholders_only(agent, request_, voirie):
    template = services.create_answer_template(
        actor=agent,
        service=voirie,
        title="Prise en charge",
        body="« {titre} » ({quartier}) : {service} passe avant le {date_visite}. "
        "{inconnu} {titre.__class__} {0} {",
    )
    text = services.render_answer_template(template=template, contribution=request_)
    visit = request_.consultation.visit_date
    assert text.startswith("« Lampadaire en panne » (Europe, Gare) : Service voirie passe")
    assert f"le {visit.day} " in text
    assert text.endswith("{inconnu} {titre.__class__} {0} {")


def test_a_quick_win_past_its_target_date_shows_as_overdue(agent, consultation, resident):
    late = contribute(resident, consultation, title="Tag sur le mur")
    later = contribute(resident, consultation, title="Banc cassé")
    services.flag_quick_win(
        actor=agent, contribution=late, target_date=timezone.localdate() - timedelta(days=1)
    )
    services.flag_quick_win(
        actor=agent, contribution=later, target_date=timezone.localdate() + timedelta(days=3)
    )
    with pytest.raises(ValidationError, match="date cible"):
        services.flag_quick_win(actor=agent, contribution=later, target_date=None)
    rows = {c.title: c.overdue for c in selectors.triage_list(agent, consultation=consultation)}
    assert rows == {"Tag sur le mur": True, "Banc cassé": False}
    assert not selectors.triage_list(resident, consultation=consultation).exists()


def test_triage_sorts_by_age_and_by_support(agent, consultation, resident, make_user):
    old = contribute(resident, consultation, title="Ancienne")
    new = contribute(resident, consultation, title="Récente")
    Contribution.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    services.support(actor=make_user(User.Kind.CITIZEN), contribution=new)
    by_age = selectors.triage_list(agent, consultation=consultation, sort="age")
    by_support = selectors.triage_list(agent, consultation=consultation, sort="supports")
    assert [c.title for c in by_age] == ["Ancienne", "Récente"]
    assert [c.title for c in by_support] == ["Récente", "Ancienne"]


def test_bulk_routing_and_status_changes_are_all_or_nothing(agent, consultation, resident, voirie):
    a = contribute(resident, consultation, title="A")
    b = contribute(resident, consultation, title="B")
    question = contribute(resident, consultation, kind="question", title="Q")
    unchanged(
        lambda: services.bulk_route(
            actor=agent, contribution_ids=[a.pk, question.pk], service=voirie
        ),
        match="ni une demande",
    )
    unchanged(
        lambda: services.bulk_route(actor=agent, contribution_ids=[a.pk, 10**9], service=voirie),
        error=PermissionDenied,
    )
    unchanged(
        lambda: services.bulk_route(actor=resident, contribution_ids=[a.pk], service=voirie),
        error=PermissionDenied,
    )
    routed = services.bulk_route(actor=agent, contribution_ids=[b.pk, a.pk], service=voirie)
    assert {c.service for c in routed} == {voirie}

    services.change_status(actor=agent, contribution=a, status="en_cours")
    unchanged(
        lambda: services.bulk_change_status(
            actor=agent, contribution_ids=[a.pk, b.pk], status="en_cours"
        ),
        match="« A » ne peut pas passer",
    )
    services.bulk_change_status(actor=agent, contribution_ids=[b.pk], status="en_cours")
    services.bulk_change_status(
        actor=agent, contribution_ids=[a.pk, b.pk], status="rejete", reason="Doublon"
    )
    assert set(
        Contribution.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)
    ) == {"rejete"}


def test_a_contribution_becomes_a_post_in_an_internal_group(
    agent, request_, resident, make_user, external
):
    internal = Group.objects.create(name="Voirie", slug="voirie", created_by=agent)
    add_member(internal, agent)
    shared = Group.objects.create(
        name="Partenaires", slug="partenaires", open_to_external=True, created_by=agent
    )
    add_member(shared, agent)
    not_member = Group.objects.create(name="Autre", slug="autre", created_by=agent)

    for group in (shared, not_member):
        unchanged(
            lambda group=group: services.discuss_internally(
                actor=agent, contribution=request_, group=group
            ),
            match="groupe interne",
        )
    unchanged(
        lambda: services.discuss_internally(actor=resident, contribution=request_, group=internal),
        error=PermissionDenied,
    )
    post = services.discuss_internally(actor=agent, contribution=request_, group=internal)
    request_.refresh_from_db()
    assert request_.internal_post == post
    assert post.group == internal
    assert "Lampadaire en panne" in post.body
    assert resident.display_name not in post.body
    with pytest.raises(ValidationError, match="déjà discutée"):
        services.discuss_internally(actor=agent, contribution=request_, group=internal)


def test_staff_see_the_templates_of_the_consultation_services_routed_first(
    agent, request_, resident, consultation, voirie
):
    parcs = services.create_service(actor=agent, name="Service parcs")
    consultation.services.add(parcs)
    services.create_answer_template(actor=agent, service=parcs, title="Parcs", body="x")
    services.create_answer_template(actor=agent, service=voirie, title="Voirie", body="y")
    outside = services.create_service(actor=agent, name="Service hors consultation")
    services.create_answer_template(actor=agent, service=outside, title="Hors", body="z")
    services.route_contribution(actor=agent, contribution=request_, service=voirie)
    titles = [t.title for t in selectors.answer_templates_for(agent, contribution=request_)]
    assert titles == ["Voirie", "Parcs"]
    assert not selectors.answer_templates_for(resident, contribution=request_).exists()
    with pytest.raises(PermissionDenied):
        services.create_answer_template(actor=resident, service=voirie, title="t", body="b")


def test_staff_update_a_consultation_with_the_same_rules_as_creation(
    agent, consultation, resident, elected
):
    services.update_consultation(
        actor=agent,
        consultation=consultation,
        title="Visite du quartier Europe — 19 décembre",
        neighbourhoods="Europe",
        opens_at=consultation.opens_at,
        closes_at=consultation.closes_at,
        officials=[elected],
        moderation="a_priori",
    )
    consultation.refresh_from_db()
    assert consultation.title.endswith("19 décembre")
    assert consultation.slug == "visite-du-quartier-europe-12-decembre"  # links keep working
    assert list(consultation.officials.all()) == [elected]
    assert consultation.categories.count() == 8
    with pytest.raises(PermissionDenied):
        services.update_consultation(
            actor=resident,
            consultation=consultation,
            title="x",
            neighbourhoods="x",
            opens_at=consultation.opens_at,
            closes_at=consultation.closes_at,
        )


def test_a_forgotten_author_is_told_nothing(
    agent, request_, resident, published, django_capture_on_commit_callbacks
):
    services.forget_citizen(user=resident)
    request_.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(actor=agent, contribution=request_, status="en_cours")
        services.answer_contribution(author=agent, contribution=request_, text="Vu.")
    assert published == []
    assert mail.outbox == []


def test_a_rejection_reason_reaches_the_author(agent, request_, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(
            actor=agent, contribution=request_, status="rejete", reason="Voie privée"
        )
    (message,) = mail.outbox
    assert message.subject == "[Maillage] Votre demande « Lampadaire en panne » : Rejeté"
    assert "Motif : Voie privée" in message.body


def test_contributions_sort_by_support_date_category_and_workflow_status(
    agent, consultation, resident, make_user
):
    cat = {c.name: c.pk for c in consultation.categories.all()}
    done = contribute(resident, consultation, title="Traitée", category=cat["voirie"])
    contribute(resident, consultation, title="Reçue", category=cat["autre"])
    idea = contribute(resident, consultation, kind="idee", title="Idée", category=cat["propreté"])
    services.change_status(actor=agent, contribution=done, status="en_cours")
    services.support(actor=make_user(User.Kind.CITIZEN), contribution=idea)

    def titles(**kw):
        rows = selectors.contributions_for(resident, consultation=consultation, **kw)
        return [c.title for c in rows]

    assert titles(sort="supports") == ["Idée", "Reçue", "Traitée"]
    assert titles(sort="recent") == ["Idée", "Reçue", "Traitée"]
    assert titles(sort="category") == ["Traitée", "Idée", "Reçue"]
    assert titles(sort="status") == ["Reçue", "Traitée", "Idée"]
    assert titles(status="en_cours") == ["Traitée"]
    assert titles(category=cat["autre"]) == ["Reçue"]


def test_the_author_is_written_to_in_the_language_they_chose(
    agent, request_, resident, django_capture_on_commit_callbacks
):
    from notifications.models import NotificationSettings

    NotificationSettings.objects.update_or_create(user=resident, defaults={"language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_contribution(author=agent, contribution=request_, text="Lundi.")
    assert mail.outbox[-1].subject.endswith(f"Answer to your contribution “{request_.title}”")
