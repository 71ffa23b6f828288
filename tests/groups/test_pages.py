"""Group pages: who opens which page, what each action changes, and what a refusal leaves."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from accounts.models import User
from groups import policy, services
from groups.models import Group, Invitation, JoinRequest, Membership
from groups.views import group_url
from tests.factories import PASSWORD, MembershipFactory

KINDS = [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL, User.Kind.CITIZEN]
VISIBILITIES = [Group.Visibility.PUBLIC, Group.Visibility.PRIVATE, Group.Visibility.UNLISTED]
BANNER = "Ce groupe comprend des membres extérieurs à l'agence"


def page(response) -> str:
    return response.content.decode()


def flashes(client: Client, url: str = "/groupes/") -> str:
    return page(client.get(url))


def image_upload(fmt: str = "PNG") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (20, 90, 160)).save(out, format=fmt)
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


def manager_of(group: Group, make_user) -> User:
    manager = make_user(User.Kind.STAFF)
    MembershipFactory(group=group, user=manager, role=Membership.Role.MANAGER)
    return manager


# --- Who opens which page -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_group_list_is_for_staff_elected_and_external_members_not_citizens(
    people, client_for, kind
):
    response = client_for(people[kind]).get("/groupes/")
    assert response.status_code == (403 if kind == User.Kind.CITIZEN else 200)


@pytest.mark.parametrize("kind", KINDS)
def test_the_groups_menu_entry_matches_the_list_access(people, client_for, kind):
    home = page(client_for(people[kind]).get("/"))
    assert ('href="/groupes/"' in home) is (kind != User.Kind.CITIZEN)


# (kind, visibility) of a non-member -> status of the about page, and of the content tabs.
NON_MEMBER_PAGES = {
    (User.Kind.STAFF, "public"): (200, 200),
    (User.Kind.STAFF, "private"): (200, 403),
    (User.Kind.STAFF, "unlisted"): (404, 404),
    (User.Kind.ELECTED, "public"): (200, 200),
    (User.Kind.ELECTED, "private"): (200, 403),
    (User.Kind.ELECTED, "unlisted"): (404, 404),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_group_pages_answer_non_members_by_kind_and_visibility(
    people, make_group, client_for, kind, visibility
):
    group = make_group(visibility, open_to_external=True, avatar="groups/x.webp")
    about, content = NON_MEMBER_PAGES.get((kind, visibility), (404, 404))
    client = client_for(people[kind])
    base = f"/groupes/{group.slug}"

    assert client.get(f"{base}/a-propos/").status_code == about
    assert client.get(f"{base}/membres/").status_code == content
    assert client.get(f"{base}/fichiers/").status_code == content
    # Managing pages: refused (403) when the group is visible, unknown (404) otherwise.
    for path in ("modifier", "demandes", "inviter"):
        assert client.get(f"{base}/{path}/").status_code == (403 if about == 200 else 404)
    assert (group.name in page(client.get("/groupes/"))) is (about == 200)


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.ELECTED, User.Kind.EXTERNAL])
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_members_open_every_tab_of_their_group(people, make_group, client_for, kind, visibility):
    group = make_group(visibility, open_to_external=True, members=(people[kind],))
    client = client_for(people[kind])
    for tab in ("a-propos", "membres", "fichiers"):
        response = client.get(f"/groupes/{group.slug}/{tab}/")
        assert response.status_code == 200
        assert group.name in page(response)
        assert BANNER in page(response)
    assert "Aucun fichier n’est encore partagé dans ce groupe." in page(
        client.get(f"/groupes/{group.slug}/fichiers/")
    )


def test_a_private_group_shows_its_header_and_a_request_button_to_non_members(
    staff, make_group, client_for
):
    group = make_group(Group.Visibility.PRIVATE, description="Aménagement de la zone")
    response = client_for(staff).get(f"/groupes/{group.slug}/membres/")
    assert response.status_code == 403
    assert "Contenu réservé aux membres" in page(response)
    assert "Aménagement de la zone" in page(response)
    assert f'action="/groupes/{group.slug}/rejoindre/"' in page(response)
    assert group.created_by.display_name not in page(response)  # no member list


def test_the_about_page_tells_visibility_creator_date_and_charter(owner, make_group, client_for):
    group = make_group(
        Group.Visibility.PUBLIC, owner=owner, open_to_external=True, charter="Pas de fuite."
    )
    about = page(client_for(owner).get(f"/groupes/{group.slug}/a-propos/"))
    assert "Olivia Propriétaire" in about
    assert "Pas de fuite." in about
    assert "tous les agents et élus le voient" in about
    assert "Créé le" in about


def test_administrators_read_groups_in_the_admin(make_user, make_group, client_for, elected):
    group = make_group(Group.Visibility.PRIVATE)
    services.join_group(actor=elected, group=group)
    client = client_for(make_user(User.Kind.STAFF, is_staff=True, is_superuser=True))
    for url in (
        "/admin/groups/group/",
        f"/admin/groups/group/{group.pk}/change/",
        "/admin/groups/joinrequest/",
        "/admin/groups/invitation/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/groups/group/add/").status_code == 403


def test_an_external_member_sees_only_their_groups_and_404_for_the_others(
    external, make_group, client_for
):
    mine = make_group(Group.Visibility.PRIVATE, open_to_external=True, members=(external,))
    others = [make_group(v) for v in VISIBILITIES] + [
        make_group(Group.Visibility.PUBLIC, open_to_external=True)
    ]
    client = client_for(external)

    listing = page(client.get("/groupes/"))
    assert mine.name in listing
    for group in others:
        assert group.name not in listing
        for path in ("a-propos", "membres", "fichiers", "modifier", "image"):
            assert client.get(f"/groupes/{group.slug}/{path}/").status_code == 404
        assert client.post(f"/groupes/{group.slug}/rejoindre/").status_code in (403, 404)


def test_unknown_groups_are_404_like_forbidden_ones(staff, client_for):
    client = client_for(staff)
    for path in ("a-propos", "membres", "fichiers", "modifier", "demandes", "inviter", "image"):
        assert client.get(f"/groupes/inconnu/{path}/").status_code == 404


def test_an_expired_external_member_loses_the_pages_at_once(external, make_group, client_for):
    group = make_group(Group.Visibility.PRIVATE, open_to_external=True, members=(external,))
    client = client_for(external)
    assert client.get(f"/groupes/{group.slug}/membres/").status_code == 200

    group.memberships.filter(user=external).update(expires_at=timezone.now())

    assert client.get(f"/groupes/{group.slug}/membres/").status_code == 404
    assert group.name not in page(client.get("/groupes/"))


def test_the_create_page_is_for_staff_only(people, client_for):
    for kind in KINDS:
        expected = 200 if kind == User.Kind.STAFF else 403
        assert client_for(people[kind]).get("/groupes/nouveau/").status_code == expected


# --- The list -----------------------------------------------------------------------------


def test_the_list_searches_and_filters(staff, make_user, make_group, client_for):
    mine = make_group(Group.Visibility.PRIVATE, name="Zone d'activité du Royeux", members=(staff,))
    public = make_group(Group.Visibility.PUBLIC, name="Foire de Hanovre 2026")
    garage = make_group(
        Group.Visibility.PRIVATE, name="Le Garage — incubateur", open_to_external=True
    )
    client = client_for(staff)

    def names(query: str) -> set[str]:
        listing = page(client.get(f"/groupes/?{query}"))
        return {g.name for g in (mine, public, garage) if escape(g.name) in listing}

    assert names("") == {mine.name, public.name, garage.name}
    assert names("filter=mine") == {mine.name}
    assert names("filter=public") == {public.name}
    assert names("filter=external") == {garage.name}
    assert names("q=hanovre") == {public.name}
    assert names("q=%00hanovre") == {public.name}
    assert names("filter=nonsense") == {mine.name, public.name, garage.name}
    assert names("q=" + "x" * 500) == set()


def test_list_cards_show_visibility_count_external_marker_and_the_right_button(
    staff, make_user, make_group, client_for
):
    public = make_group(Group.Visibility.PUBLIC, members=(make_user(), make_user()))
    private = make_group(Group.Visibility.PRIVATE, open_to_external=True)
    requested = make_group(Group.Visibility.PRIVATE)
    JoinRequest.objects.create(group=requested, user=staff)
    client = client_for(staff)

    listing = page(client.get("/groupes/"))

    assert "3 membres" in listing  # the owner and two members
    assert f'action="/groupes/{public.slug}/rejoindre/"' in listing
    assert f'action="/groupes/{private.slug}/rejoindre/"' in listing
    assert "Demander à rejoindre" in listing
    assert f'action="/groupes/{requested.slug}/rejoindre/"' not in listing
    assert "Demande en attente" in listing
    assert "externe" in listing
    assert "Privé" in listing


def test_the_htmx_search_answers_only_the_results(staff, make_group, client_for):
    make_group(name="Foire de Hanovre 2026")
    response = client_for(staff).get(
        "/groupes/?q=hanovre", headers={"HX-Request": "true", "HX-Target": "group-results"}
    )
    assert response.status_code == 200
    assert page(response).lstrip().startswith('<section id="group-results"')
    assert "Foire de Hanovre 2026" in page(response)


def test_the_group_list_costs_the_same_queries_for_3_or_20_groups(
    staff, make_user, make_group, client_for
):
    client = client_for(staff)
    counts = []
    for size in (3, 20):
        while Group.objects.count() < size:
            make_group(
                Group.Visibility.PRIVATE if Group.objects.count() % 2 else "public",
                open_to_external=True,
                members=(make_user(),),
                avatar="groups/x.webp",
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/groupes/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6


def test_the_members_page_costs_the_same_queries_for_3_or_30_members(
    owner, make_user, make_group, client_for
):
    group = make_group(Group.Visibility.PRIVATE, owner=owner, open_to_external=True)
    client = client_for(owner)
    counts = []
    for size in (3, 30):
        while group.memberships.count() < size:
            kind = User.Kind.EXTERNAL if group.memberships.count() % 2 else User.Kind.STAFF
            MembershipFactory(
                group=group,
                user=make_user(kind, avatar="avatars/x.webp"),
                expires_at=timezone.now() + timedelta(days=30) if kind == "external" else None,
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/groupes/{group.slug}/membres/")
        assert response.status_code == 200
        assert page(response).count("Retirer du groupe") == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10


# --- Joining and leaving ------------------------------------------------------------------


def test_joining_a_public_group_makes_a_member_and_says_so(
    staff, make_group, client_for, csrf_post
):
    group = make_group(Group.Visibility.PUBLIC, name="Foire de Hanovre 2026")
    client = client_for(staff)

    response = csrf_post(client, f"/groupes/{group.slug}/rejoindre/")

    assert response.status_code == 302
    assert response["Location"] == group_url(group)
    assert policy.membership_of(staff, group) is not None
    assert "Vous avez rejoint le groupe « Foire de Hanovre 2026 »." in flashes(client)


def test_asking_to_join_a_private_group_creates_a_request(
    elected, make_group, client_for, csrf_post
):
    group = make_group(Group.Visibility.PRIVATE)
    client = client_for(elected)

    response = csrf_post(
        client, f"/groupes/{group.slug}/rejoindre/", {"next": "/groupes/?filter=all"}
    )

    assert response["Location"] == "/groupes/?filter=all"
    assert group.join_requests.get().user == elected
    assert policy.membership_of(elected, group) is None
    assert "transmise à ses gestionnaires" in flashes(client)
    assert "Votre demande est en attente" in page(client.get(f"/groupes/{group.slug}/a-propos/"))


def test_join_goes_back_only_to_this_site(staff, make_group, client_for, csrf_post):
    group = make_group()
    response = csrf_post(
        client_for(staff), f"/groupes/{group.slug}/rejoindre/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == group_url(group)


def test_join_and_leave_need_a_post_with_the_csrf_token(staff, make_group, client_for):
    group = make_group(members=(staff,))
    other = make_group()
    client = client_for(staff)

    assert client.get(f"/groupes/{other.slug}/rejoindre/").status_code == 405
    assert client.post(f"/groupes/{other.slug}/rejoindre/").status_code == 403
    assert client.post(f"/groupes/{group.slug}/quitter/").status_code == 403
    assert policy.membership_of(staff, other) is None
    assert policy.membership_of(staff, group) is not None


def test_leaving_a_group(staff, make_group, client_for, csrf_post):
    group = make_group(members=(staff,))
    client = client_for(staff)
    response = csrf_post(client, f"/groupes/{group.slug}/quitter/")
    assert response["Location"] == "/groupes/"
    assert policy.membership_of(staff, group) is None
    assert "Vous avez quitté le groupe" in flashes(client)


def test_the_last_owner_cannot_leave_and_is_told_why(owner, make_group, client_for, csrf_post):
    group = make_group(owner=owner)
    client = client_for(owner)
    csrf_post(client, f"/groupes/{group.slug}/quitter/")
    assert policy.membership_of(owner, group).role == Membership.Role.OWNER
    assert "Un groupe garde toujours au moins un propriétaire." in flashes(client)


# --- Create and edit ----------------------------------------------------------------------

GROUP_FORM = {
    "name": "Zone d'activité du Royeux",
    "description": "Aménagement de la zone.",
    "visibility": "private",
    "charter": "",
}


def test_staff_create_a_group_with_an_image(staff, client_for, csrf_post):
    client = client_for(staff)
    response = csrf_post(client, "/groupes/nouveau/", {**GROUP_FORM, "avatar": image_upload()})

    group = Group.objects.get()
    assert response.status_code == 302
    assert response["Location"] == group_url(group)
    assert group.slug == "zone-dactivite-du-royeux"
    assert group.visibility == "private"
    assert group.memberships.get().user == staff
    image = client.get(f"/groupes/{group.slug}/image/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert "a été créé" in flashes(client)


def test_a_refused_creation_shows_french_errors_and_creates_nothing(staff, client_for, csrf_post):
    client = client_for(staff)

    def bad_image():
        return SimpleUploadedFile("x.png", b"not an image", content_type="image/png")

    response = csrf_post(
        client, "/groupes/nouveau/", {**GROUP_FORM, "name": "   ", "avatar": bad_image()}
    )
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in page(response)
    response = csrf_post(client, "/groupes/nouveau/", {**GROUP_FORM, "avatar": bad_image()})
    assert response.status_code == 200
    assert "pas une image reconnue" in page(response)
    response = csrf_post(client, "/groupes/nouveau/", {**GROUP_FORM, "visibility": "secret"})
    assert "Sélectionnez un choix valide" in page(response)
    assert not Group.objects.exists()


def test_managers_edit_the_group(owner, make_group, make_user, client_for, csrf_post):
    group = make_group(owner=owner)
    manager = manager_of(group, make_user)
    client = client_for(manager)
    response = csrf_post(
        client,
        f"/groupes/{group.slug}/modifier/",
        {**GROUP_FORM, "name": "Nouveau nom", "open_to_external": "on", "charter": "Discrétion."},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.open_to_external, group.charter) == (
        "Nouveau nom",
        True,
        "Discrétion.",
    )
    about = page(client.get(f"/groupes/{group.slug}/a-propos/"))
    assert "Discrétion." in about
    assert BANNER in about


def test_closing_a_group_with_external_members_is_refused_and_changes_nothing(
    owner, external, make_group, client_for, csrf_post
):
    group = make_group(owner=owner, open_to_external=True, members=(external,), name="Garage")
    response = csrf_post(
        client_for(owner),
        f"/groupes/{group.slug}/modifier/",
        {**GROUP_FORM, "name": "Autre nom"},
    )
    assert response.status_code == 200
    assert "Retirez d&#x27;abord les membres externes" in page(response)
    group.refresh_from_db()
    assert (group.name, group.open_to_external) == ("Garage", True)


def test_members_cannot_edit_and_nothing_changes(staff, make_group, client_for, csrf_post):
    group = make_group(members=(staff,), name="Inchangé")
    response = csrf_post(client_for(staff), f"/groupes/{group.slug}/modifier/", GROUP_FORM)
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.name == "Inchangé"


def test_removing_the_image(owner, make_group, client_for, csrf_post):
    group = make_group(owner=owner)
    services.set_group_avatar(actor=owner, group=group, upload=image_upload())
    client = client_for(owner)
    csrf_post(client, f"/groupes/{group.slug}/modifier/", {**GROUP_FORM, "remove_avatar": "on"})
    group.refresh_from_db()
    assert not group.avatar
    assert client.get(f"/groupes/{group.slug}/image/").status_code == 404


# --- Members ------------------------------------------------------------------------------


def test_the_members_page_shows_roles_external_badges_and_end_dates(
    owner, external, make_group, client_for
):
    group = make_group(owner=owner, open_to_external=True, members=(external,))
    group.memberships.filter(user=external).update(
        expires_at=timezone.make_aware(timezone.datetime(2031, 6, 30, 23, 59))
    )
    listing = page(client_for(external).get(f"/groupes/{group.slug}/membres/"))
    assert "Propriétaire" in listing
    assert "externe · Ferment &amp; Co" in listing
    assert "30 juin 2031" in listing
    assert "Retirer du groupe" not in listing  # not a manager


def test_managers_change_roles(owner, staff, make_group, client_for, csrf_post):
    group = make_group(owner=owner, members=(staff,))
    client = client_for(owner)
    csrf_post(client, f"/groupes/{group.slug}/membres/{staff.pk}/role/", {"role": "manager"})
    assert group.memberships.get(user=staff).role == Membership.Role.MANAGER
    assert "est maintenant « Gestionnaire »" in flashes(client)


def test_demoting_the_last_owner_is_refused_with_the_french_reason(
    owner, make_group, client_for, csrf_post
):
    group = make_group(owner=owner)
    client = client_for(owner)
    response = csrf_post(
        client, f"/groupes/{group.slug}/membres/{owner.pk}/role/", {"role": "member"}
    )
    assert response["Location"] == f"/groupes/{group.slug}/membres/"
    assert group.memberships.get(user=owner).role == Membership.Role.OWNER
    assert "Un groupe garde toujours au moins un propriétaire." in flashes(client)


def test_managers_set_and_clear_an_external_members_end_date(
    owner, external, make_group, client_for, csrf_post
):
    group = make_group(owner=owner, open_to_external=True, members=(external,))
    client = client_for(owner)
    url = f"/groupes/{group.slug}/membres/{external.pk}/fin-d-acces/"
    day = (timezone.localdate() + timedelta(days=10)).isoformat()

    csrf_post(client, url, {"ends_on": day})
    expires_at = group.memberships.get(user=external).expires_at
    assert timezone.localtime(expires_at).date().isoformat() == day
    assert "prendra fin le" in flashes(client)

    csrf_post(client, url, {"ends_on": "2001-01-01"})
    assert group.memberships.get(user=external).expires_at == expires_at
    assert "La date de fin doit être dans le futur." in flashes(client)

    csrf_post(client, url, {"ends_on": "pas une date"})
    assert group.memberships.get(user=external).expires_at == expires_at
    assert "Indiquez une date valide" in flashes(client)

    csrf_post(client, url, {"ends_on": ""})
    assert group.memberships.get(user=external).expires_at is None


def test_managers_remove_members(owner, staff, make_group, client_for, csrf_post):
    group = make_group(owner=owner, members=(staff,))
    client = client_for(owner)
    csrf_post(client, f"/groupes/{group.slug}/membres/{staff.pk}/retirer/")
    assert policy.membership_of(staff, group) is None
    assert "a été retiré du groupe" in flashes(client)


def test_members_cannot_manage_members_and_nothing_changes(
    owner, staff, elected, make_group, client_for, csrf_post
):
    group = make_group(owner=owner, members=(staff, elected))
    client = client_for(staff)
    base = f"/groupes/{group.slug}/membres/{elected.pk}"
    assert csrf_post(client, f"{base}/role/", {"role": "owner"}).status_code == 403
    assert csrf_post(client, f"{base}/retirer/").status_code == 403
    assert csrf_post(client, f"{base}/fin-d-acces/", {"ends_on": ""}).status_code == 403
    assert group.memberships.get(user=elected).role == Membership.Role.MEMBER


def test_member_actions_on_a_non_member_are_404(owner, staff, make_group, client_for, csrf_post):
    group = make_group(owner=owner)
    response = csrf_post(client_for(owner), f"/groupes/{group.slug}/membres/{staff.pk}/retirer/")
    assert response.status_code == 404


# --- Requests and invitations -------------------------------------------------------------


def test_managers_approve_and_refuse_requests(
    owner, staff, elected, make_group, client_for, csrf_post
):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    first = services.join_group(actor=staff, group=group, message="Je suis chargée du dossier")
    second = services.join_group(actor=elected, group=group)
    client = client_for(owner)
    listing = page(client.get(f"/groupes/{group.slug}/demandes/"))
    assert "Je suis chargée du dossier" in listing
    assert elected.display_name in listing

    csrf_post(client, f"/groupes/{group.slug}/demandes/{first.pk}/", {"decision": "approve"})
    csrf_post(client, f"/groupes/{group.slug}/demandes/{second.pk}/", {"decision": "refuse"})
    csrf_post(client, f"/groupes/{group.slug}/demandes/{second.pk}/", {"decision": "approve"})

    assert policy.membership_of(staff, group) is not None
    assert policy.membership_of(elected, group) is None
    assert "Cette demande a déjà été traitée." in flashes(client)
    assert "Aucune demande en attente." in page(client.get(f"/groupes/{group.slug}/demandes/"))


def test_members_cannot_decide_requests(owner, staff, elected, make_group, client_for, csrf_post):
    group = make_group(Group.Visibility.PRIVATE, owner=owner, members=(staff,))
    request = services.join_group(actor=elected, group=group)
    response = csrf_post(
        client_for(staff), f"/groupes/{group.slug}/demandes/{request.pk}/", {"decision": "approve"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_managers_invite_by_email(
    owner, make_group, client_for, csrf_post, django_capture_on_commit_callbacks
):
    group = make_group(owner=owner, open_to_external=True)
    client = client_for(owner)
    url = f"/groupes/{group.slug}/inviter/"

    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(client, url, {"email": "lea@ferment.example"})
    assert response.status_code == 302
    assert Invitation.objects.get().email == "lea@ferment.example"
    assert mail.outbox[0].to == ["lea@ferment.example"]
    invite_page = page(client.get(url))
    assert "Invitation envoyée à lea@ferment.example." in invite_page
    assert "lea@ferment.example" in invite_page.split("Invitations en attente")[1]

    response = csrf_post(client, url, {"email": "pas-une-adresse"})
    assert "Saisissez une adresse de courriel valide." in page(response)
    response = csrf_post(client, url, {"email": owner.email})
    assert "Cette personne est déjà membre du groupe." in page(response)
    assert Invitation.objects.count() == 1


# --- The invitation link ------------------------------------------------------------------


@pytest.fixture
def invitation_for(django_capture_on_commit_callbacks):
    """Invite `email` into `group` and return the link's path, as the e-mail gives it."""

    def make(group: Group, email: str) -> str:
        actor = group.memberships.get(role=Membership.Role.OWNER).user
        with django_capture_on_commit_callbacks(execute=True):
            services.invite(actor=actor, group=group, email=email)
        return "/invitations/" + mail.outbox[-1].body.split("/invitations/")[1].split("/")[0] + "/"

    return make


def anonymous_post(client: Client, url: str, data: dict):
    client.get(url)
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


NEWCOMER = {
    "display_name": "Nina Nouvelle",
    "organisation": "Garage Start",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "accept_charter": "on",
}


def test_a_newcomer_creates_an_external_account_from_the_link_and_lands_in_the_group(
    owner, make_group, invitation_for
):
    group = make_group(
        Group.Visibility.UNLISTED, owner=owner, open_to_external=True, charter="Pas de fuite."
    )
    link = invitation_for(group, "nina@garage.example")
    client = Client(enforce_csrf_checks=True)

    form = page(client.get(link))
    assert "Pas de fuite." in form
    assert "Créer votre compte" in form
    assert BANNER in form

    response = anonymous_post(client, link, NEWCOMER)

    user = User.objects.get(email="nina@garage.example")
    assert response.status_code == 302
    assert response["Location"] == group_url(group)
    assert user.kind == User.Kind.EXTERNAL
    assert user.organisation.name == "Garage Start"
    assert policy.membership_of(user, group).charter_accepted_at is not None
    assert client.get(f"/groupes/{group.slug}/membres/").status_code == 200  # signed in
    assert client.get(link).status_code == 410  # used once


def test_the_newcomer_form_refuses_bad_input_in_french_and_creates_nothing(
    owner, make_group, invitation_for
):
    group = make_group(owner=owner, open_to_external=True, charter="Charte.")
    link = invitation_for(group, "nina@garage.example")
    client = Client(enforce_csrf_checks=True)

    for change, error in [
        ({"accept_charter": ""}, "Vous devez accepter la charte du groupe"),
        ({"password2": "autre-mot-de-passe"}, "Les deux mots de passe ne sont pas identiques."),
        ({"password1": "court", "password2": "court"}, "Ce mot de passe est trop court."),
        ({"organisation": ""}, "Ce champ est obligatoire."),
        ({"display_name": "   "}, "Ce champ est obligatoire."),
    ]:
        response = anonymous_post(client, link, {**NEWCOMER, **change})
        assert response.status_code == 200
        assert error in page(response), change
    assert not User.objects.filter(email="nina@garage.example").exists()
    assert client.post(link, NEWCOMER).status_code == 403  # no CSRF token


def test_a_staff_newcomer_gives_no_organisation(owner, make_group, invitation_for):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    link = invitation_for(group, "claire@agence.example")
    client = Client(enforce_csrf_checks=True)
    assert "Organisation" not in page(client.get(link))
    data = {k: v for k, v in NEWCOMER.items() if k not in ("organisation", "accept_charter")}
    anonymous_post(client, link, data)
    assert User.objects.get(email="claire@agence.example").kind == User.Kind.STAFF


def test_someone_with_an_account_is_asked_to_sign_in_first(
    owner, staff, make_group, invitation_for
):
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    link = invitation_for(group, staff.email)
    response = Client().get(link)
    assert response.status_code == 200
    assert f'href="/compte/login/?next={link}"' in page(response)
    assert "connectez-vous pour accepter" in page(response)


def test_the_invited_person_signed_in_accepts_and_ticks_the_charter(
    owner, external, make_group, invitation_for, client_for
):
    group = make_group(
        Group.Visibility.UNLISTED, owner=owner, open_to_external=True, charter="Confidentiel."
    )
    link = invitation_for(group, external.email)
    client = client_for(external)
    assert "Confidentiel." in page(client.get(link))

    token = client.cookies["csrftoken"].value
    refused = client.post(link, {"csrfmiddlewaretoken": token})
    assert "Vous devez accepter la charte du groupe" in page(refused)
    assert policy.membership_of(external, group) is None

    response = client.post(link, {"csrfmiddlewaretoken": token, "accept_charter": "on"})
    assert response["Location"] == group_url(group)
    assert policy.membership_of(external, group).charter_accepted_at is not None


def test_an_invitation_cannot_be_used_by_another_signed_in_person(
    owner, staff, elected, make_group, invitation_for, client_for
):
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    link = invitation_for(group, staff.email)
    client = client_for(elected)
    response = client.get(link)
    assert response.status_code == 403
    assert "Cette invitation a été envoyée à une autre adresse e-mail." in page(response)
    client.post(link, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert policy.membership_of(elected, group) is None


def test_expired_and_unknown_invitations(owner, staff, make_group, invitation_for, client_for):
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    link = invitation_for(group, staff.email)
    Invitation.objects.update(expires_at=timezone.now())
    response = client_for(staff).get(link)
    assert response.status_code == 410
    assert "Cette invitation n'est plus valable" in page(response)
    assert Client().get("/invitations/inconnu/").status_code == 404
    assert Client().get("/invitations/" + "x" * 500 + "/").status_code == 404
