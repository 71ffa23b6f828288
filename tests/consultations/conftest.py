"""A small consultation world: people of every kind, consultations in every state."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consultations import services
from consultations.models import Consultation, Contribution, HiddenReason, Service


def shift_to(consultation: Consultation, state: str) -> Consultation:
    """Move a consultation's dates so it is upcoming, open or closed now."""
    now = timezone.now()
    dates = {
        "upcoming": (now + timedelta(days=5), now + timedelta(days=20)),
        "open": (now - timedelta(days=1), now + timedelta(days=10)),
        "closed": (now - timedelta(days=30), now - timedelta(days=1)),
    }[state]
    Consultation.objects.filter(pk=consultation.pk).update(opens_at=dates[0], closes_at=dates[1])
    consultation.refresh_from_db()
    return consultation


@pytest.fixture
def make_consultation(make_user):
    """`make_consultation(creator, moderators=[...], **fields)`: an open consultation."""

    def make(creator: User, **fields) -> Consultation:
        now = timezone.now()
        fields.setdefault("title", "Visite du quartier Europe — 12 décembre")
        fields.setdefault("neighbourhoods", "Europe, Gare")
        fields.setdefault("opens_at", now - timedelta(days=1))
        fields.setdefault("closes_at", now + timedelta(days=10))
        fields.setdefault("visit_date", (now + timedelta(days=12)).date())
        return services.create_consultation(actor=creator, **fields)

    return make


def contribute(author: User, consultation: Consultation, **fields) -> Contribution:
    fields.setdefault("kind", Contribution.Kind.REQUEST)
    fields.setdefault("title", "Lampadaire en panne")
    fields.setdefault("body", "Le lampadaire devant l'école ne marche plus depuis un mois.")
    fields.setdefault("category", consultation.categories.get(name="éclairage").pk)
    return services.create_contribution(author=author, consultation=consultation, **fields)


@pytest.fixture
def published(monkeypatch) -> list[tuple[list[int], str, dict]]:
    """What services publish to sockets, once their transaction commits."""
    sent: list[tuple[list[int], str, dict]] = []

    def publish(user_ids, type, data) -> None:
        recipients = sorted(set(user_ids))
        transaction.on_commit(lambda: sent.append((recipients, type, data)), robust=True)

    monkeypatch.setattr("realtime.events.publish", publish)
    return sent


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    consultations: dict[str, Consultation] = field(default_factory=dict)
    contributions: dict[str, Contribution] = field(default_factory=dict)
    service: Service | None = None
    note: object = None
    answer: object = None
    report: object = None
    comments: dict = field(default_factory=dict)


@pytest.fixture
def world(make_user, make_consultation) -> World:
    """People of every kind, consultations upcoming/open/closed, contributions in every state."""
    w = World()
    u = w.users
    u["anonymous"] = AnonymousUser()
    u["author"] = make_user(
        User.Kind.CITIZEN, display_name="Camille Habitante", email="camille@example.test"
    )
    u["other_citizen"] = make_user(User.Kind.CITIZEN, display_name="Bruno Voisin")
    u["moderator"] = make_user(User.Kind.STAFF, display_name="Mona Modératrice")
    u["staff"] = make_user(User.Kind.STAFF, display_name="Simon Agent")
    u["elected"] = make_user(User.Kind.ELECTED, display_name="Élise Maire")
    u["external"] = make_user(User.Kind.EXTERNAL, display_name="Ernest Externe")
    u["deactivated"] = make_user(User.Kind.CITIZEN, display_name="Denis Parti")
    w.service = services.create_service(
        actor=u["staff"], name="Service voirie", email="voirie@ville.test"
    )

    open_ = make_consultation(
        u["staff"],
        moderation=Consultation.Moderation.A_PRIORI,
        moderators=[u["moderator"]],
        officials=[u["elected"]],
        services=[w.service],
    )
    closed = make_consultation(u["staff"], title="Visite du quartier Gare", services=[w.service])
    upcoming = make_consultation(u["staff"], title="Visite du quartier Nord")
    w.consultations = {"open": open_, "closed": closed, "upcoming": upcoming}

    c = w.contributions
    c["pending"] = contribute(u["author"], open_, title="En attente")
    c["published"] = contribute(u["author"], open_, title="Publiée")
    c["hidden"] = contribute(u["author"], open_, title="Masquée")
    c["others"] = contribute(u["other_citizen"], open_, title="D'un voisin")
    c["others_pending"] = contribute(u["other_citizen"], open_, title="Voisin en attente")
    for key in ("published", "hidden", "others"):
        services.moderate_contribution(
            moderator=u["moderator"], contribution=c[key], action="approve"
        )
    services.moderate_contribution(
        moderator=u["moderator"],
        contribution=c["hidden"],
        action="hide",
        reason=HiddenReason.ABUSIVE,
    )
    c["deactivated_own"] = contribute(u["deactivated"], open_, title="D'un compte fermé")
    c["closed"] = contribute(u["author"], closed, title="Dans une consultation close")
    c["upcoming"] = contribute(u["staff"], shift_to(upcoming, "open"), title="Avant l'ouverture")
    shift_to(upcoming, "upcoming")
    shift_to(closed, "closed")
    w.note = services.add_internal_note(
        author=u["staff"], contribution=c["published"], text="Note interne : voir le devis"
    )
    w.answer = services.answer_contribution(
        author=u["staff"], contribution=c["published"], text="Réparation prévue lundi."
    )
    w.report = services.report_contribution(
        reporter=u["other_citizen"], contribution=c["published"], reason="Doublon"
    )
    # Comments: one approved (a priori mode), one still pending.
    w.comments = {
        "published": services.add_comment(
            author=u["author"], contribution=c["others"], body="Je confirme."
        ),
        "pending": services.add_comment(
            author=u["other_citizen"], contribution=c["others"], body="En attente."
        ),
    }
    services.moderate_comment(
        moderator=u["moderator"], comment=w.comments["published"], action="approve"
    )
    for key, contribution in c.items():
        c[key] = Contribution.objects.select_related("consultation").get(pk=contribution.pk)
    User.objects.filter(pk=u["deactivated"].pk).update(is_active=False)
    u["deactivated"].refresh_from_db()
    return w
