"""The staff pages of consultations: who may open them, each action's effect and refusals,
bulk changes all or nothing, overdue quick wins shown in words, open-data downloads, and lists
that cost a constant number of queries."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.models import (
    Consultation,
    Contribution,
    HiddenReason,
    InternalNote,
    ModerationDecision,
    ModerationState,
    OfficialAnswer,
    Report,
)
from social.models import Post
from tests.consultations.conftest import contribute
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


def page(world, name: str):
    """The address of a staff page on the world's open consultation."""
    open_ = world.consultations["open"]
    published = world.contributions["published"]
    args = {
        "staff_home": [],
        "staff_create": [],
        "moderation_all": [],
        "staff_edit": [open_.pk],
        "staff_report": [open_.pk],
        "moderation": [open_.pk],
        "triage": [open_.pk],
        "brief": [open_.pk],
        "brief_pdf": [open_.pk],
        "staff_contribution": [published.pk],
    }[name]
    return reverse(f"consultations:{name}", args=args)


PAGES = [
    "staff_home",
    "staff_create",
    "moderation_all",
    "staff_edit",
    "staff_report",
    "moderation",
    "triage",
    "brief",
    "brief_pdf",
    "staff_contribution",
]
# Who opens what: staff every management page (the moderation page shows them the log only),
# the named moderator also their queue, elected officials the brief, nobody else anything.
OPENS = {
    "staff": set(PAGES) - {"moderation_all"},
    "moderator": set(PAGES),
    "elected": {"staff_home", "brief", "brief_pdf"},
    "author": set(),
    "other_citizen": set(),
    "external": set(),
}


@pytest.mark.parametrize("who", list(OPENS))
def test_who_may_open_each_staff_page(world, who):
    client = client_as(world.users[who])
    for name in PAGES:
        response = client.get(page(world, name))
        expected = 200 if name in OPENS[who] else 404
        assert response.status_code == expected, (who, name, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(world):
    client = Client()
    for name in PAGES:
        response = client.get(page(world, name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name


def test_an_unknown_consultation_or_contribution_answers_404(world):
    client = client_as(world.users["staff"])
    for name in ("moderation", "triage", "brief", "staff_edit"):
        assert client.get(reverse(f"consultations:{name}", args=[999_999])).status_code == 404
    url = reverse("consultations:staff_contribution", args=[999_999])
    assert client.get(url).status_code == 404


# --- Create, edit, report --------------------------------------------------------------------


def _consultation_data(world, **changes) -> dict:
    now = timezone.localtime()
    data = {
        "title": "Visite du quartier Saint-Jean",
        "neighbourhoods": "Saint-Jean, Port",
        "theme": "Cadre de vie",
        "description": "Dites-nous ce qui compte.",
        "officials": [world.users["elected"].pk],
        "visit_date": (now + timedelta(days=20)).date().isoformat(),
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        "moderation": "a_priori",
        "categories": "voirie\néclairage\n\npropreté\nvoirie",
        "services": [world.service.pk],
        "moderators": [world.users["moderator"].pk],
    }
    data.update(changes)
    return data


def test_staff_create_a_consultation(world):
    client = client_as(world.users["staff"])
    page_ = client.get(reverse("consultations:staff_create"))
    assert "voirie\nproprete" not in page_.content.decode()  # defaults listed one per line
    assert "espaces verts" in page_.content.decode()
    response = client.post(reverse("consultations:staff_create"), _consultation_data(world))
    consultation = Consultation.objects.get(title="Visite du quartier Saint-Jean")
    assert response.status_code == 302
    assert response["Location"] == reverse("consultations:staff_edit", args=[consultation.pk])
    assert list(consultation.categories.values_list("name", flat=True)) == [
        "voirie",
        "éclairage",
        "propreté",
    ]
    assert list(consultation.officials.all()) == [world.users["elected"]]
    assert list(consultation.moderators.all()) == [world.users["moderator"]]
    assert list(consultation.services.all()) == [world.service]
    assert consultation.moderation == Consultation.Moderation.A_PRIORI
    assert consultation.is_open


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Ce champ est obligatoire."),
        ({"title": "x" * 201}, "title", "200 caractères"),
        ({"categories": "\n \n"}, "categories", "Ce champ est obligatoire."),
        ({"categories": "a" * 61}, "categories", "dépasse 60 caractères"),
        ({"moderation": "jamais"}, "moderation", "Sélectionnez un choix valide"),
        ({"opens_at": "demain"}, "opens_at", "Saisissez une date et une heure valides"),
        ("swap", "closes_at", "La clôture doit suivre l&#x27;ouverture."),
        ("citizen_official", "officials", "Sélectionnez un choix valide"),
        ("staff_official", "officials", "Sélectionnez un choix valide"),
    ],
)
def test_a_bad_consultation_is_refused_with_a_clear_message(world, changes, field, message):
    if changes == "swap":
        data = _consultation_data(world)
        data["opens_at"], data["closes_at"] = data["closes_at"], data["opens_at"]
    elif changes == "citizen_official":
        data = _consultation_data(world, officials=[world.users["author"].pk])
    elif changes == "staff_official":
        data = _consultation_data(world, officials=[world.users["staff"].pk])
    else:
        data = _consultation_data(world, **changes)
    before = Consultation.objects.count()
    response = client_as(world.users["staff"]).post(reverse("consultations:staff_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Consultation.objects.count() == before


def test_script_in_a_consultation_title_is_rendered_inert(world):
    client = client_as(world.users["staff"])
    client.post(
        reverse("consultations:staff_create"),
        _consultation_data(world, title="<script>alert(1)</script>"),
    )
    consultation = Consultation.objects.get(title="<script>alert(1)</script>")
    html = client.get(reverse("consultations:staff_edit", args=[consultation.pk])).content
    assert b"<script>alert(1)" not in html
    assert b"&lt;script&gt;alert(1)" in html


def test_staff_edit_a_consultation_and_its_categories_stay(world):
    consultation = world.consultations["open"]
    client = client_as(world.users["staff"])
    response = client.get(reverse("consultations:staff_edit", args=[consultation.pk]))
    assert consultation.title in response.content.decode()
    data = _consultation_data(world, title="Visite Europe (reportée)", moderation="a_posteriori")
    data.pop("categories")
    response = client.post(reverse("consultations:staff_edit", args=[consultation.pk]), data)
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.title == "Visite Europe (reportée)"
    assert consultation.moderation == "a_posteriori"
    assert consultation.categories.count() == 8


def test_nobody_but_staff_creates_or_edits(world):
    open_ = world.consultations["open"]
    for who in ("elected", "author", "external"):
        client = client_as(world.users[who])
        before = Consultation.objects.count()
        assert (
            client.post(reverse("consultations:staff_create"), _consultation_data(world))
        ).status_code == 404
        url = reverse("consultations:staff_edit", args=[open_.pk])
        assert client.post(url, _consultation_data(world, title="Piraté")).status_code == 404
        assert Consultation.objects.count() == before
    open_.refresh_from_db()
    assert open_.title != "Piraté"


def test_staff_publish_the_report_after_the_visit(world):
    consultation = world.consultations["closed"]
    url = reverse("consultations:staff_report", args=[consultation.pk])
    client = client_as(world.users["staff"])
    refused = client.post(url, {"report": "   "})
    assert refused.status_code == 400
    consultation.refresh_from_db()
    assert consultation.report_published_at is None
    response = client.post(url, {"report": "Nous avons entendu **trois** sujets."})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.report_published_at is not None
    assert "<strong>trois</strong>" in consultation.report_html
    assert client_as(world.users["elected"]).post(url, {"report": "x"}).status_code == 404


# --- Moderation ------------------------------------------------------------------------------


def test_the_queue_shows_pending_contributions_comments_and_reports(world):
    response = client_as(world.users["moderator"]).get(page(world, "moderation"))
    html = response.content.decode()
    assert ">En attente</a>" in html  # the pending contribution's title
    assert "Voisin en attente" in html
    assert "En attente." in html  # the pending comment
    assert "Doublon" in html  # the report's reason
    assert "Approuver" in html
    assert "Ignorer le signalement" in html
    assert "Masquée" in html  # hidden list and log
    assert "Publiée" in html


def test_staff_who_do_not_moderate_see_the_log_but_not_the_queue(world):
    html = client_as(world.users["staff"]).get(page(world, "moderation")).content.decode()
    assert "Journal de modération" in html
    assert "Mona Modératrice" in html  # who decided
    assert "Voisin en attente" not in html
    assert "Approuver" not in html


def test_a_moderator_approves_a_pending_contribution(world):
    pending = world.contributions["pending"]
    url = reverse("consultations:moderate_contribution", args=[pending.pk])
    response = client_as(world.users["moderator"]).post(url, {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"] == page(world, "moderation")
    pending.refresh_from_db()
    assert pending.moderation_state == ModerationState.PUBLISHED
    decision = ModerationDecision.objects.filter(contribution=pending).latest("id")
    assert (decision.moderator, decision.action) == (world.users["moderator"], "approve")


def test_a_moderator_hides_with_a_public_reason_then_restores(world):
    published = world.contributions["published"]
    url = reverse("consultations:moderate_contribution", args=[published.pk])
    client = client_as(world.users["moderator"])
    refused = client.post(url, {"action": "hide"}, follow=True)
    assert "Choisissez un motif de masquage." in refused.content.decode()
    published.refresh_from_db()
    assert published.moderation_state == ModerationState.PUBLISHED
    client.post(url, {"action": "hide", "reason": HiddenReason.OFF_CHARTER})
    published.refresh_from_db()
    assert (published.moderation_state, published.hidden_reason) == ("hidden", "hors charte")
    assert Report.objects.get(pk=world.report.pk).resolved
    client.post(url, {"action": "restore", "next": page(world, "moderation_all")})
    published.refresh_from_db()
    assert published.moderation_state == ModerationState.PUBLISHED
    again = client.post(url, {"action": "restore"}, follow=True)
    assert "Seul un contenu masqué peut être rétabli." in again.content.decode()


def test_a_moderator_decides_on_comments(world):
    comment = world.comments["pending"]
    url = reverse("consultations:moderate_comment", args=[comment.pk])
    client_as(world.users["moderator"]).post(url, {"action": "hide", "reason": "hors sujet"})
    comment.refresh_from_db()
    assert (comment.moderation_state, comment.hidden_reason) == ("hidden", "hors sujet")


@pytest.mark.parametrize("who", ["staff", "elected", "author", "external"])
def test_only_the_named_moderators_decide(world, who):
    pending = world.contributions["others_pending"]
    url = reverse("consultations:moderate_contribution", args=[pending.pk])
    response = client_as(world.users[who]).post(url, {"action": "approve"})
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.moderation_state == ModerationState.PENDING
    url = reverse("consultations:dismiss_report", args=[world.report.pk])
    assert client_as(world.users[who]).post(url).status_code == 404
    assert not Report.objects.get(pk=world.report.pk).resolved


def test_the_redirect_after_a_decision_never_leaves_the_site(world):
    pending = world.contributions["pending"]
    url = reverse("consultations:moderate_contribution", args=[pending.pk])
    response = client_as(world.users["moderator"]).post(
        url, {"action": "approve", "next": "https://evil.test/"}
    )
    assert response["Location"] == page(world, "moderation")


def test_a_moderator_dismisses_a_report(world):
    url = reverse("consultations:dismiss_report", args=[world.report.pk])
    response = client_as(world.users["moderator"]).post(url)
    assert response.status_code == 302
    assert Report.objects.get(pk=world.report.pk).resolved
    published = world.contributions["published"]
    published.refresh_from_db()
    assert published.moderation_state == ModerationState.PUBLISHED
    assert (
        client_as(world.users["moderator"])
        .post(reverse("consultations:dismiss_report", args=[999_999]))
        .status_code
        == 404
    )


def test_the_moderators_queue_across_consultations(world, make_consultation):
    moderator = world.users["moderator"]
    other = make_consultation(
        world.users["staff"],
        title="Visite du quartier Sud",
        moderation=Consultation.Moderation.A_PRIORI,
        moderators=[moderator],
    )
    contribute(world.users["author"], other, title="Banc cassé au square")
    html = client_as(moderator).get(page(world, "moderation_all")).content.decode()
    assert "Banc cassé au square" in html
    assert "Visite du quartier Sud" in html
    assert "Voisin en attente" in html


# --- Triage ----------------------------------------------------------------------------------


@pytest.fixture
def requests_(world):
    """Three more requests on the open consultation, published, of different ages and support."""
    open_ = world.consultations["open"]
    staff, moderator = world.users["staff"], world.users["moderator"]
    made = {}
    for i, (title, days) in enumerate([("Trottoir", 9), ("Feu rouge", 3), ("Poubelle", 1)]):
        c = contribute(world.users["author"], open_, title=title, kind="signalement")
        services.moderate_contribution(moderator=moderator, contribution=c, action="approve")
        Contribution.objects.filter(pk=c.pk).update(
            created_at=timezone.now() - timedelta(days=days), support_count=i * 5
        )
        made[title] = c
    services.flag_quick_win(
        actor=staff,
        contribution=made["Trottoir"],
        target_date=timezone.localdate() - timedelta(days=2),
    )
    services.flag_quick_win(
        actor=staff,
        contribution=made["Feu rouge"],
        target_date=timezone.localdate() + timedelta(days=5),
    )
    return made


def _order(html: str, titles: list[str]) -> list[str]:
    return sorted(titles, key=html.index)


def test_the_triage_page_sorts_by_age_and_by_support(world, requests_):
    client = client_as(world.users["staff"])
    html = client.get(page(world, "triage")).content.decode()
    titles = ["Trottoir", "Feu rouge", "Poubelle"]
    assert _order(html, titles) == ["Trottoir", "Feu rouge", "Poubelle"]
    html = client.get(page(world, "triage"), {"sort": "supports"}).content.decode()
    assert _order(html, titles) == ["Poubelle", "Feu rouge", "Trottoir"]
    assert "Masquée" not in html  # hidden requests are out of triage


def test_overdue_quick_wins_show_in_red_and_in_words(world, requests_):
    html = client_as(world.users["staff"]).get(page(world, "triage")).content.decode()
    assert html.count("triage-row--overdue") == 1
    assert html.count("en retard") == 1
    row = html[html.index("triage-row--overdue") :]
    assert row.index("Trottoir") < row.index("en retard") < row.index("Feu rouge")
    detail = client_as(world.users["staff"]).get(
        reverse("consultations:staff_contribution", args=[requests_["Trottoir"].pk])
    )
    assert "en retard" in detail.content.decode()


def test_the_triage_filters(world, requests_):
    client = client_as(world.users["staff"])
    services.route_contribution(
        actor=world.users["staff"], contribution=requests_["Poubelle"], service=world.service
    )
    url = page(world, "triage")
    html = client.get(url, {"service": world.service.pk}).content.decode()
    assert "Poubelle" in html
    assert "Trottoir" not in html
    html = client.get(url, {"quick_win": "oui"}).content.decode()
    assert "Trottoir" in html
    assert "Feu rouge" in html
    assert "Poubelle" not in html
    services.change_status(
        actor=world.users["staff"], contribution=requests_["Feu rouge"], status="en_cours"
    )
    html = client.get(url, {"status": "en_cours"}).content.decode()
    assert "Feu rouge" in html
    assert "Trottoir" not in html
    cleanliness = world.consultations["open"].categories.get(name="propreté")
    html = client.get(url, {"category": cleanliness.pk}).content.decode()
    assert "Aucune demande ne correspond." in html
    # Unknown filter values are ignored, never an error.
    response = client.get(url, {"status": "nope", "service": "x", "sort": "<b>", "page": "z"})
    assert response.status_code == 200
    assert "Trottoir" in response.content.decode()


def _bulk(world, **data):
    url = reverse("consultations:triage_bulk", args=[world.consultations["open"].pk])
    return client_as(world.users["staff"]).post(url, data)


def test_bulk_routing_changes_every_checked_request(world, requests_):
    ids = [requests_["Trottoir"].pk, requests_["Feu rouge"].pk]
    response = _bulk(
        world, ids=ids, operation="route", service=world.service.pk, retour="sort=supports"
    )
    assert response.status_code == 302
    assert response["Location"] == page(world, "triage") + "?sort=supports"
    assert set(Contribution.objects.filter(pk__in=ids).values_list("service_id", flat=True)) == {
        world.service.pk
    }


def test_bulk_status_change_is_all_or_nothing(world, requests_):
    trottoir, feu = requests_["Trottoir"], requests_["Feu rouge"]
    services.change_status(actor=world.users["staff"], contribution=feu, status="en_cours")
    response = _bulk(world, ids=[trottoir.pk, feu.pk], operation="status", status="en_cours")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Rien n&#x27;a été modifié" in html
    assert "Feu rouge" in html
    trottoir.refresh_from_db()
    assert trottoir.status == "recu"  # the first one was rolled back
    # The checked boxes stay checked, to fix the choice and try again.
    assert f'value="{trottoir.pk}" id="select-{trottoir.pk}" checked' in html
    ok = _bulk(world, ids=[trottoir.pk], operation="status", status="en_cours")
    assert ok.status_code == 302
    trottoir.refresh_from_db()
    assert trottoir.status == "en_cours"


def test_a_bulk_rejection_needs_a_reason(world, requests_):
    ids = [requests_["Trottoir"].pk, requests_["Poubelle"].pk]
    response = _bulk(world, ids=ids, operation="status", status="rejete")
    assert response.status_code == 400
    assert "Un rejet doit être motivé." in response.content.decode()
    assert not Contribution.objects.filter(pk__in=ids, status="rejete").exists()
    _bulk(world, ids=ids, operation="status", status="rejete", reason="Hors périmètre")
    assert Contribution.objects.filter(pk__in=ids, status="rejete").count() == 2


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("hidden", "n&#x27;appartient pas à cette consultation"),
        ("closed", "n&#x27;appartient pas à cette consultation"),
        ("unknown", "n&#x27;appartient pas à cette consultation"),
    ],
)
def test_bulk_refuses_requests_outside_the_triage_list(world, requests_, target, message):
    other = {
        "hidden": world.contributions["hidden"].pk,
        "closed": world.contributions["closed"].pk,
        "unknown": 999_999,
    }[target]
    ids = [requests_["Trottoir"].pk, other]
    response = _bulk(world, ids=ids, operation="route", service=world.service.pk)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Contribution.objects.filter(pk__in=ids, service=world.service).exists()


def test_bulk_needs_a_choice(world, requests_):
    response = _bulk(world, operation="route", service=world.service.pk)
    assert "Cochez au moins une demande." in response.content.decode()
    response = _bulk(world, ids=[requests_["Trottoir"].pk], operation="route")
    assert "Choisissez le service." in response.content.decode()
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["elected", "author", "external"])
def test_nobody_but_staff_triages(world, requests_, who):
    url = reverse("consultations:triage_bulk", args=[world.consultations["open"].pk])
    data = {"ids": [requests_["Trottoir"].pk], "operation": "route", "service": world.service.pk}
    assert client_as(world.users[who]).post(url, data).status_code == 404
    trottoir = requests_["Trottoir"]
    for name, payload in [
        ("staff_route", {"service": world.service.pk}),
        ("staff_status", {"status": "en_cours"}),
        ("staff_note", {"text": "x"}),
        ("staff_answer", {"text": "x"}),
        ("staff_quick_win", {"quick_win": "on", "target_date": "2030-01-01"}),
    ]:
        url = reverse(f"consultations:{name}", args=[trottoir.pk])
        assert client_as(world.users[who]).post(url, payload).status_code == 404, name
    trottoir.refresh_from_db()
    assert (trottoir.service, trottoir.status) == (None, "recu")
    assert not InternalNote.objects.filter(contribution=trottoir).exists()
    assert not OfficialAnswer.objects.filter(contribution=trottoir).exists()


# --- One request -----------------------------------------------------------------------------


def _act(world, name: str, contribution, data, user="staff"):
    url = reverse(f"consultations:{name}", args=[contribution.pk])
    return client_as(world.users[user]).post(url, data)


def test_staff_route_a_request_to_a_service(world):
    c = world.contributions["others"]
    response = _act(world, "staff_route", c, {"service": world.service.pk})
    assert response.status_code == 302
    assert response["Location"].endswith("#route")
    c.refresh_from_db()
    assert c.service == world.service
    outside = services.create_service(actor=world.users["staff"], name="Service parcs")
    refused = _act(world, "staff_route", c, {"service": outside.pk})
    assert refused.status_code == 400
    assert "Sélectionnez un choix valide" in refused.content.decode()


def test_staff_change_the_status_and_a_rejection_needs_a_reason(world):
    c = world.contributions["others"]
    refused = _act(world, "staff_status", c, {"status": "rejete"})
    assert refused.status_code == 400
    assert "Un rejet doit être motivé." in refused.content.decode()
    skipped = _act(world, "staff_status", c, {"status": "clos"})
    assert skipped.status_code == 400
    c.refresh_from_db()
    assert c.status == "recu"
    _act(world, "staff_status", c, {"status": "rejete", "reason": "Doublon de la rue Vauban"})
    c.refresh_from_db()
    assert (c.status, c.rejection_reason) == ("rejete", "Doublon de la rue Vauban")
    url = reverse("consultations:staff_contribution", args=[c.pk])
    html = client_as(world.users["staff"]).get(url).content.decode()
    assert "Reçu → Rejeté (Doublon de la rue Vauban) — Simon Agent" in html


def test_staff_add_internal_notes(world):
    c = world.contributions["others"]
    assert _act(world, "staff_note", c, {"text": "  "}).status_code == 400
    assert _act(world, "staff_note", c, {"text": "x" * 5001}).status_code == 400
    _act(world, "staff_note", c, {"text": "Voir avec la régie <b>vite</b>"})
    note = InternalNote.objects.get(contribution=c)
    assert note.author == world.users["staff"]
    url = reverse("consultations:staff_contribution", args=[c.pk])
    html = client_as(world.users["staff"]).get(url).content.decode()
    assert "Voir avec la régie &lt;b&gt;vite&lt;/b&gt;" in html


def test_staff_answer_with_a_rendered_template(world):
    c = world.contributions["others"]
    services.route_contribution(actor=world.users["staff"], contribution=c, service=world.service)
    template = services.create_answer_template(
        actor=world.users["staff"],
        service=world.service,
        title="Intervention programmée",
        body="Bonjour, « {titre} » est programmé par le {service} avant le {date_visite}.",
    )
    url = reverse("consultations:staff_contribution", args=[c.pk])
    client = client_as(world.users["staff"])
    html = client.get(url).content.decode()
    assert "Intervention programmée" in html
    assert "« D&#x27;un voisin » est programmé par le Service voirie" in html
    prefilled = client.get(url, {"modele": template.pk}).content.decode()
    textarea = prefilled[prefilled.index('id="answer_text"') :]
    assert textarea.index("est programmé par le Service voirie") < textarea.index("</textarea>")
    assert "Publier la réponse" in html
    refused = _act(world, "staff_answer", c, {"text": ""})
    assert refused.status_code == 400
    assert 'id="answer_text_error"' in refused.content.decode()
    response = _act(world, "staff_answer", c, {"text": "C'est réparé, merci !"})
    assert response.status_code == 302
    answer = OfficialAnswer.objects.get(contribution=c)
    assert (answer.signed_by, answer.service) == ("Service voirie", world.service)


def test_staff_flag_a_quick_win_with_a_target_date(world):
    c = world.contributions["others"]
    refused = _act(world, "staff_quick_win", c, {"quick_win": "on"})
    assert refused.status_code == 400
    assert "Indiquez une date cible." in refused.content.decode()
    target = timezone.localdate() + timedelta(days=3)
    _act(world, "staff_quick_win", c, {"quick_win": "on", "target_date": target.isoformat()})
    c.refresh_from_db()
    assert (c.quick_win, c.target_date) == (True, target)
    _act(world, "staff_quick_win", c, {})
    c.refresh_from_db()
    assert (c.quick_win, c.target_date) == (False, None)


def test_questions_and_ideas_have_no_routing_but_can_be_answered(world):
    idea = contribute(world.users["staff"], world.consultations["open"], kind="idee", title="Idée")
    html = (
        client_as(world.users["staff"])
        .get(reverse("consultations:staff_contribution", args=[idea.pk]))
        .content.decode()
    )
    assert "Orienter vers ce service" not in html
    assert "Publier la réponse" in html
    refused = _act(world, "staff_route", idea, {"service": world.service.pk})
    assert refused.status_code == 400
    assert "ni une demande ni un signalement" in refused.content.decode()


def test_staff_turn_a_contribution_into_an_internal_discussion(world):
    staff = world.users["staff"]
    internal = GroupFactory(created_by=staff, name="Cellule quartiers")
    partners = GroupFactory(created_by=staff, name="Partenaires", open_to_external=True)
    elsewhere = GroupFactory(name="Autre équipe")
    c = world.contributions["others"]
    url = reverse("consultations:staff_contribution", args=[c.pk])
    html = client_as(staff).get(url).content.decode()
    assert "Cellule quartiers" in html
    assert "Partenaires" not in html
    assert "Autre équipe" not in html
    for group in (partners, elsewhere):
        refused = _act(world, "staff_discuss", c, {"group": group.pk})
        assert refused.status_code == 400
    assert _act(world, "staff_discuss", c, {"group": internal.pk}).status_code == 302
    c.refresh_from_db()
    post = Post.objects.get(pk=c.internal_post_id)
    assert post.group == internal
    html = client_as(staff).get(url).content.decode()
    assert reverse("social:post", args=[post.pk]) in html
    MembershipFactory(group=internal, user=world.users["moderator"])
    again = _act(world, "staff_discuss", c, {"group": internal.pk}, user="moderator")
    assert "déjà discutée en interne" in again.content.decode()


# --- Open data -------------------------------------------------------------------------------


def test_open_data_downloads_of_a_closed_consultation(world):
    closed = world.consultations["closed"]
    for who in ("anonymous", "author", "staff", "elected"):
        client = client_as(world.users[who])
        csv_ = client.get(reverse("consultations:open_data_csv", args=[closed.pk]))
        assert csv_.status_code == 200, who
        assert csv_["Content-Type"] == "text/csv; charset=utf-8"
        assert csv_["Content-Disposition"].startswith("attachment;")
        assert csv_["X-Content-Type-Options"] == "nosniff"
        assert "Dans une consultation close" in csv_.content.decode()
        assert "Camille" not in csv_.content.decode()
        data = json.loads(
            client.get(reverse("consultations:open_data_json", args=[closed.pk])).content
        )
        assert data["licence"]["nom"] == "Licence Ouverte 2.0"
        dictionary = client.get(reverse("consultations:open_data_dictionary", args=[closed.pk]))
        assert dictionary.content.decode().startswith("champ,type,description")


def test_no_open_data_before_closing_nor_for_external_members(world):
    open_ = world.consultations["open"]
    for name in ("open_data_csv", "open_data_json", "open_data_dictionary"):
        url = reverse(f"consultations:{name}", args=[open_.pk])
        assert client_as(world.users["staff"]).get(url).status_code == 404
        closed = reverse(f"consultations:{name}", args=[world.consultations["closed"].pk])
        assert client_as(world.users["external"]).get(closed).status_code == 404


def test_the_brief_links_the_open_data_once_closed(world):
    client = client_as(world.users["elected"])
    open_html = client.get(page(world, "brief")).content.decode()
    assert "Données ouvertes" not in open_html
    closed = world.consultations["closed"]
    html = client.get(reverse("consultations:brief", args=[closed.pk])).content.decode()
    assert reverse("consultations:open_data_csv", args=[closed.pk]) in html
    assert reverse("consultations:open_data_json", args=[closed.pk]) in html


# --- Query counts ----------------------------------------------------------------------------


def _grow(world, n: int) -> None:
    """`n` more pending and reported requests, with comments, routed and answered."""
    open_ = world.consultations["open"]
    staff, moderator = world.users["staff"], world.users["moderator"]
    for i in range(n):
        c = contribute(staff, open_, title=f"Demande {i}", place=f"{i} rue des Lilas")
        services.report_contribution(reporter=staff, contribution=c, reason="?")
        if i % 2:
            services.moderate_contribution(moderator=moderator, contribution=c, action="approve")
            services.route_contribution(actor=staff, contribution=c, service=world.service)
            services.answer_contribution(author=staff, contribution=c, text="Vu.")
            services.flag_quick_win(
                actor=staff, contribution=c, target_date=timezone.localdate() - timedelta(days=1)
            )
            services.add_internal_note(author=staff, contribution=c, text="Note")
            services.support(actor=world.users["author"], contribution=c)


@pytest.mark.parametrize("extra", [0, 8])
def test_staff_pages_cost_a_constant_number_of_queries(world, extra, django_assert_max_num_queries):
    _grow(world, extra)
    moderator, staff = client_as(world.users["moderator"]), client_as(world.users["staff"])
    elected = client_as(world.users["elected"])
    with django_assert_max_num_queries(12):
        assert moderator.get(page(world, "moderation")).status_code == 200
    with django_assert_max_num_queries(7):
        assert moderator.get(page(world, "moderation_all")).status_code == 200
    with django_assert_max_num_queries(9):
        response = staff.get(page(world, "triage"))
    assert response.status_code == 200
    assert response.content.decode().count('name="ids"') == 5 + extra
    with django_assert_max_num_queries(7):
        assert elected.get(page(world, "brief")).status_code == 200
    with django_assert_max_num_queries(6):
        assert elected.get(page(world, "brief_pdf")).status_code == 200
    with django_assert_max_num_queries(5):
        assert staff.get(page(world, "staff_home")).status_code == 200


def test_the_staff_home_counts_what_waits(world):
    html = client_as(world.users["staff"]).get(page(world, "staff_home")).content.decode()
    open_ = world.consultations["open"]
    row = html[html.index(reverse("consultations:detail", args=[open_.pk])) :]
    row = row[: row.index("</tr>")]
    # Pending: "En attente", "Voisin en attente", "D'un compte fermé"; open requests: all
    # but the hidden one.
    assert "<td>3</td><td>5</td>" in row
    assert reverse("consultations:triage", args=[open_.pk]) in row
    elected = client_as(world.users["elected"]).get(page(world, "staff_home")).content.decode()
    assert reverse("consultations:brief", args=[open_.pk]) in elected
    assert reverse("consultations:triage", args=[open_.pk]) not in elected
    assert "Nouvelle consultation" not in elected
