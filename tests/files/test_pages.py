"""The file pages: « Mes fichiers », a group's Files tab, a file's page, downloads, and the
forms that work without JavaScript.

Whoever may see a file opens its pages; anyone else gets 404 on every one of them, downloads
and thumbnails included. A refused upload shows its French reason and stores nothing.
"""

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from files import services
from files.models import File, FileShare, FileVersion
from groups.models import Group, Membership
from social.models import Comment
from tests.factories import GroupFactory, MembershipFactory
from tests.files.conftest import pdf_bytes, png_bytes, stored_blobs, upload

pytestmark = pytest.mark.django_db

HTML_WITH_SCRIPT = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def token(client) -> str:
    """The CSRF token a browser would hold after opening any page."""
    if "csrftoken" not in client.cookies:
        client.get("/confidentialite/")
    return client.cookies["csrftoken"].value


def send(client, url: str, data: dict | None = None, **extra):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token(client)}, **extra)


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags removed, entities decoded and blanks collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html(response))))


def flashes(client) -> str:
    """The messages waiting for the next page."""
    return text(client.get("/confidentialite/"))


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def named(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.fixture
def garage(staff, external, make_user):
    """« Le Garage »: private, open to external members; Agnès (staff) owns it, Ernest (a
    start-up) and Rachid (staff) are members."""
    group = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=staff,
    )
    MembershipFactory(group=group, user=external)
    MembershipFactory(group=group, user=make_user(handle="rachid", display_name="Rachid Membre"))
    return group


@pytest.fixture
def outsider(make_user):
    """An external member of another group: sees nothing of Le Garage."""
    person = make_user(User.Kind.EXTERNAL, display_name="Olga Ailleurs")
    MembershipFactory(group=GroupFactory(open_to_external=True), user=person)
    return person


@pytest.fixture
def plan(garage, external, make_file):
    """A plan Ernest shared in Le Garage, with two versions (the second from Agnès)."""
    file = make_file(external, name="plan-du-salon.png", data=png_bytes(), group=garage)
    services.add_version(
        actor=garage.created_by,
        file=file,
        incoming=upload("plan-v2.png", png_bytes(size=(80, 60), color="navy")),
    )
    file.refresh_from_db()
    return file


# --- Who opens which page ------------------------------------------------------------------


def test_a_group_member_opens_the_file_page_with_its_history_and_shares(plan, external, client_for):
    response = client_for(external).get(reverse("files:detail", args=[plan.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "plan-du-salon.png" in page
    assert "Historique des versions" in page
    assert "Télécharger la version 1" in page
    assert "Télécharger la version 2" in page
    assert "Agnès Agent" in page  # who sent version 2
    assert "Groupe « Le Garage »" in page
    assert "Téléverser une nouvelle version" in page  # members of its group change it
    assert f'data-file="{plan.pk}"' in html(response)
    assert f'href="/fichiers/{plan.pk}/telecharger/?version=1"' in html(response)
    assert "Partager avec cette personne" in page  # Ernest owns it


def test_a_member_who_is_not_the_owner_neither_shares_nor_deletes(plan, make_user, client_for):
    rachid = User.objects.get(handle="rachid")
    page = text(client_for(rachid).get(reverse("files:detail", args=[plan.pk])))
    assert "Téléverser une nouvelle version" in page
    assert "Partager avec cette personne" not in page
    assert "Supprimer le fichier" not in page
    assert "Retirer ce partage" not in page


def test_every_file_page_is_404_for_an_external_member_of_another_group(plan, outsider, client_for):
    client = client_for(outsider)
    for name in ("detail", "download", "thumbnail", "edit"):
        assert client.get(reverse(f"files:{name}", args=[plan.pk])).status_code == 404, name
    assert client.get(reverse("files:download", args=[plan.pk]) + "?version=1").status_code == 404
    for name in ("new_version", "delete", "share", "comment"):
        response = send(client, reverse(f"files:{name}", args=[plan.pk]), {"body": "Bonjour"})
        assert response.status_code == 404, name
    share = plan.shares.get()
    response = send(client, reverse("files:unshare", args=[plan.pk, share.pk]))
    assert response.status_code == 404
    assert plan.shares.count() == 1
    assert not Comment.objects.exists()
    assert FileVersion.objects.filter(file=plan).count() == 2


def test_a_citizen_has_no_files_space(citizen, client_for):
    client = client_for(citizen)
    assert client.get(reverse("files:mine")).status_code == 403
    assert "Mes fichiers" not in text(client.get("/"))
    response = send(client, reverse("files:upload"), {"file": named("a.png", png_bytes())})
    assert response.status_code == 403
    assert not File.objects.exists()


def test_the_navigation_leads_to_my_files(staff, client_for):
    assert 'href="/fichiers/"' in html(client_for(staff).get("/"))


def test_deleted_and_unknown_files_and_versions_are_404(plan, external, client_for):
    client = client_for(external)
    download = reverse("files:download", args=[plan.pk])
    for query in ("?version=3", "?version=0", "?version=abc", "?version=99999999999999999999"):
        assert client.get(download + query).status_code == 404, query
    assert client.get(reverse("files:detail", args=[987654321])).status_code == 404
    services.delete_file(actor=external, file=plan)
    assert client.get(reverse("files:detail", args=[plan.pk])).status_code == 404
    assert client.get(download).status_code == 404


# --- Downloads and thumbnails ----------------------------------------------------------------


def test_downloads_give_the_current_version_and_every_earlier_one(plan, staff, client_for):
    client = client_for(staff)
    current = client.get(reverse("files:download", args=[plan.pk]))
    assert current.status_code == 200
    assert current["X-Content-Type-Options"] == "nosniff"
    assert "plan-du-salon.png" in current["Content-Disposition"]
    first = client.get(reverse("files:download", args=[plan.pk]) + "?version=1")
    assert body(first) == png_bytes()
    assert body(current) == png_bytes(size=(80, 60), color="navy")


def test_with_a_download_origin_the_signed_link_checks_access_again(plan, client_for, settings):
    settings.FILES_DOWNLOAD_ORIGIN = "http://fichiers.testserver"
    settings.ALLOWED_HOSTS = ["testserver", "fichiers.testserver"]
    rachid = User.objects.get(handle="rachid")
    response = client_for(rachid).get(reverse("files:download", args=[plan.pk]))
    assert response.status_code == 302
    link = response["Location"].removeprefix("http://fichiers.testserver")
    assert link.startswith("/fichiers/lien/")
    no_session = Client()  # the download origin gets no session cookie
    assert no_session.get(link).status_code == 404  # only on the download origin
    served = no_session.get(link, headers={"host": "fichiers.testserver"})
    assert served.status_code == 200
    assert body(served) == png_bytes(size=(80, 60), color="navy")
    Membership.objects.filter(user=rachid).delete()
    assert no_session.get(link, headers={"host": "fichiers.testserver"}).status_code == 404


def test_a_renamed_file_keeps_its_extension_when_downloaded(plan, external, client_for):
    services.update_file(actor=external, file=plan, name="Plan du salon")
    response = client_for(external).get(reverse("files:download", args=[plan.pk]))
    assert 'filename="Plan du salon.png"' in response["Content-Disposition"]
    b"".join(response.streaming_content)


def test_the_thumbnail_is_shown_once_computed_and_404_before(
    garage, external, client_for, make_file, django_capture_on_commit_callbacks
):
    pending = make_file(external, name="avant.png", group=garage)
    client = client_for(external)
    assert client.get(reverse("files:thumbnail", args=[pending.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        ready = make_file(external, name="apres.png", group=garage)
    response = client.get(reverse("files:thumbnail", args=[ready.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    page = html(client.get(reverse("files:detail", args=[ready.pk])))
    assert f'src="/fichiers/{ready.pk}/apercu/?version=1" alt="Aperçu de apres.png"' in page
    tab = html(client.get(reverse("groups:files", args=[garage.slug])))
    assert f'src="/fichiers/{ready.pk}/apercu/?version=1"' in tab


def test_a_file_without_thumbnail_shows_a_type_icon(garage, external, client_for, make_file):
    pdf = make_file(external, name="dossier.pdf", data=pdf_bytes(), group=garage)
    page = html(client_for(external).get(reverse("files:detail", args=[pdf.pk])))
    assert 'class="file-icon file-icon--pdf" aria-hidden="true">PDF<' in page


# --- « Mes fichiers » and the group's Files tab ---------------------------------------------


def test_my_files_lists_mine_and_those_shared_with_me_by_name(
    garage, staff, external, make_user, client_for, make_file
):
    mine = make_file(staff, name="budget.pdf", data=pdf_bytes())
    theirs = make_file(external, name="pitch.png")
    services.share_to_person(actor=external, file=theirs, person=staff)
    make_file(make_user(), name="secret.png")
    client = client_for(staff)
    page = text(client.get(reverse("files:mine")))
    assert "budget.pdf" in page
    assert "pitch.png" not in page
    assert "secret.png" not in page
    assert f'href="/fichiers/{mine.pk}/"' in html(client.get(reverse("files:mine")))
    shared = text(client.get(reverse("files:mine") + "?tab=shared"))
    assert "pitch.png" in shared
    assert "budget.pdf" not in shared
    assert "secret.png" not in shared
    assert "Ernest Externe" in shared


def test_my_files_shows_my_quota_when_there_is_one(staff, client_for, make_file, settings):
    make_file(staff, name="budget.pdf", data=pdf_bytes())
    assert "Mon espace de stockage" not in text(client_for(staff).get(reverse("files:mine")))
    settings.FILES_USER_QUOTA = 10 * 1024 * 1024
    page = text(client_for(staff).get(reverse("files:mine")))
    assert "Mon espace de stockage" in page
    assert "sur 10,0 Mio" in page


def test_the_files_tab_lists_the_group_files_with_search_sort_and_storage(
    garage, external, staff, client_for, make_file
):
    make_file(external, name="zebre.png", group=garage)
    make_file(staff, name="affiche.pdf", data=pdf_bytes(), group=garage)
    make_file(staff, name="ailleurs.png")  # not shared to the group
    client = client_for(external)
    url = reverse("groups:files", args=[garage.slug])
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "2 fichiers" in page
    assert "zebre.png" in page
    assert "affiche.pdf" in page
    assert "ailleurs.png" not in page
    total = sum(
        FileVersion.objects.filter(file__shares__group=garage).values_list("size", flat=True)
    )
    assert total > 1024
    assert f"(toutes versions comprises) : {total / 1024:.1f} Kio".replace(".", ",") in page
    assert 'data-group="le-garage"' in html(response)
    by_name = text(client.get(url + "?order=name"))
    assert by_name.index("affiche.pdf") < by_name.index("zebre.png")
    by_date = text(client.get(url))
    assert by_date.index("affiche.pdf") < by_date.index("zebre.png")  # the newest first
    found = client.get(url + "?q=zeb", headers={"HX-Request": "true", "HX-Target": "file-results"})
    assert "zebre.png" in text(found)
    assert "affiche.pdf" not in text(found)
    assert "<html" not in html(found)  # only the results region


def test_readers_who_cannot_post_see_the_files_but_no_upload_zone(
    make_user, staff, client_for, make_file
):
    public = GroupFactory(name="Foire", slug="foire", visibility="public", created_by=staff)
    make_file(staff, name="plan.png", group=public)
    reader = make_user(User.Kind.ELECTED)
    response = client_for(reader).get(reverse("groups:files", args=["foire"]))
    assert "plan.png" in text(response)
    assert "data-uploader" not in html(response)


def test_non_members_of_a_private_group_see_its_restricted_page(
    garage, plan, make_user, client_for
):
    response = client_for(make_user()).get(reverse("groups:files", args=[garage.slug]))
    assert response.status_code == 403
    assert "plan-du-salon.png" not in text(response)


# --- Uploads without JavaScript --------------------------------------------------------------


def test_several_files_go_to_the_group_without_javascript(garage, external, client_for):
    client = client_for(external)
    response = send(
        client,
        reverse("files:upload"),
        {
            "group": garage.slug,
            "file": [named("plan.png", png_bytes()), named("dossier.pdf", pdf_bytes())],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:files", args=[garage.slug])
    assert "Fichiers envoyés : plan.png, dossier.pdf." in flashes(client)
    assert set(File.objects.values_list("name", flat=True)) == {"plan.png", "dossier.pdf"}
    assert FileShare.objects.filter(group=garage).count() == 2
    tab = text(client.get(reverse("groups:files", args=[garage.slug])))
    assert "plan.png" in tab
    assert "dossier.pdf" in tab


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vide.png", b"", "Le fichier est vide."),
        ("page.html", HTML_WITH_SCRIPT, "Ce type de fichier (HTML) n'est pas accepté."),
        ("gros.png", png_bytes(size=(600, 600)) + b"\0" * 4096, "dépasse la taille maximale"),
    ],
)
def test_a_refused_upload_says_why_in_french_and_stores_nothing(
    garage, external, client_for, file_storage, settings, name, data, message
):
    settings.FILES_MAX_SIZE = 4096
    client = client_for(external)
    response = send(
        client, reverse("files:upload"), {"group": garage.slug, "file": named(name, data)}
    )
    assert response.status_code == 302
    shown = flashes(client)
    assert f"« {name} » n’a pas été envoyé" in shown
    assert message in shown
    assert not File.objects.exists()
    assert not FileVersion.objects.exists()
    assert stored_blobs(file_storage) == []


def test_sending_the_form_without_a_file_asks_for_one(external, client_for):
    client = client_for(external)
    response = send(client, reverse("files:upload"), {"next": "/fichiers/"})
    assert response["Location"] == "/fichiers/"
    assert "Choisissez au moins un fichier à envoyer." in flashes(client)


def test_uploading_to_a_group_one_may_not_post_in_is_refused(
    garage, outsider, make_user, client_for, file_storage
):
    client = client_for(outsider)
    response = send(
        client, reverse("files:upload"), {"group": garage.slug, "file": named("a.png", png_bytes())}
    )
    assert response.status_code == 404  # the group is hidden from her
    reader = make_user(User.Kind.STAFF)  # reads the public group, is not a member
    public = GroupFactory(slug="foire", created_by=garage.created_by)
    response = send(
        client_for(reader),
        reverse("files:upload"),
        {"group": public.slug, "file": named("a.png", png_bytes())},
    )
    assert response.status_code == 403
    assert not File.objects.exists()
    assert stored_blobs(file_storage) == []


def test_my_files_upload_keeps_files_private(staff, client_for):
    client = client_for(staff)
    send(client, reverse("files:upload"), {"file": named("note.pdf", pdf_bytes())})
    file = File.objects.get()
    assert file.owner == staff
    assert not file.shares.exists()


def test_a_member_sends_a_new_version_without_javascript(plan, client_for):
    rachid = User.objects.get(handle="rachid")
    client = client_for(rachid)
    response = send(
        client,
        reverse("files:new_version", args=[plan.pk]),
        {"file": named("plan-v3.png", png_bytes(color="red"))},
    )
    assert response["Location"] == reverse("files:detail", args=[plan.pk]) + "#versions"
    assert "La version 3 est enregistrée." in flashes(client)
    page = text(client.get(reverse("files:detail", args=[plan.pk])))
    assert "Rachid Membre" in page
    assert "Télécharger la version 3" in page


def test_a_refused_new_version_changes_nothing(plan, external, client_for, file_storage):
    before = stored_blobs(file_storage)
    client = client_for(external)
    send(client, reverse("files:new_version", args=[plan.pk]), {"file": named("x.png", b"")})
    assert "La nouvelle version n’a pas été enregistrée : Le fichier est vide." in flashes(client)
    send(client, reverse("files:new_version", args=[plan.pk]))
    assert "Choisissez le fichier de la nouvelle version." in flashes(client)
    assert plan.versions.count() == 2
    assert stored_blobs(file_storage) == before


def test_readers_who_may_not_change_a_file_get_403_on_a_new_version(
    staff, make_user, client_for, make_file
):
    public = GroupFactory(slug="foire", visibility="public", created_by=staff)
    file = make_file(staff, name="plan.png", group=public)
    reader = make_user(User.Kind.ELECTED)
    response = send(
        client_for(reader),
        reverse("files:new_version", args=[file.pk]),
        {"file": named("b.png", png_bytes())},
    )
    assert response.status_code == 403
    assert file.versions.count() == 1
    assert "Téléverser une nouvelle version" not in text(
        client_for(reader).get(reverse("files:detail", args=[file.pk]))
    )


# --- Editing, deleting, sharing --------------------------------------------------------------


def test_renaming_a_file_and_refusing_an_empty_name(plan, external, client_for):
    client = client_for(external)
    url = reverse("files:edit", args=[plan.pk])
    assert client.get(url).status_code == 200
    response = send(client, url, {"name": "  ", "description": "x"})
    assert "Donnez un nom au fichier." in text(response)
    plan.refresh_from_db()
    assert plan.name == "plan-du-salon.png"
    assert plan.description == ""
    response = send(client, url, {"name": "Plan du salon 2026", "description": "Hall 4"})
    assert response["Location"] == reverse("files:detail", args=[plan.pk])
    plan.refresh_from_db()
    assert (plan.name, plan.description) == ("Plan du salon 2026", "Hall 4")


def test_deleting_needs_the_right_and_removes_the_file_everywhere(
    plan, external, garage, client_for
):
    rachid = User.objects.get(handle="rachid")
    assert send(client_for(rachid), reverse("files:delete", args=[plan.pk])).status_code == 403
    client = client_for(external)
    response = send(
        client,
        reverse("files:delete", args=[plan.pk]),
        {"next": f"/groupes/{garage.slug}/fichiers/"},
    )
    assert response["Location"] == f"/groupes/{garage.slug}/fichiers/"
    assert "Le fichier « plan-du-salon.png » est supprimé." in flashes(client)
    assert "plan-du-salon.png" not in text(client.get(f"/groupes/{garage.slug}/fichiers/"))
    assert client.get(reverse("files:detail", args=[plan.pk])).status_code == 404


def test_the_owner_shares_to_a_group_and_to_a_person_then_takes_it_back(
    staff, external, garage, client_for, make_file
):
    file = make_file(external, name="pitch.png")
    other = GroupFactory(name="Salon", slug="salon", open_to_external=True, created_by=staff)
    MembershipFactory(group=other, user=external)
    client = client_for(external)
    url = reverse("files:share", args=[file.pk])
    page = html(client.get(reverse("files:detail", args=[file.pk])))
    assert '<option value="le-garage">Le Garage</option>' in page

    send(client, url, {"share-group": "salon"})
    assert "Le fichier est partagé dans « Salon »." in flashes(client)
    response = send(client, url, {"share-person": "@" + staff.handle})
    assert "Le fichier est partagé avec Agnès Agent." in flashes(client)
    assert set(file.shares.values_list("group__slug", "user__handle")) == {
        ("salon", None),
        (None, staff.handle),
    }
    share = file.shares.get(user=staff)
    response = send(client, reverse("files:unshare", args=[file.pk, share.pk]))
    assert response["Location"].endswith("#partages")
    assert not file.shares.filter(user=staff).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"share-person": "personne-inconnue"}, "Personne ne correspond à « personne-inconnue »"),
        ({"share-person": ""}, "Indiquez l'identifiant ou l'adresse e-mail."),
        (
            {"share-group": "groupe-inconnu"},
            "Vous ne pouvez pas partager ce fichier dans ce groupe.",
        ),
    ],
)
def test_a_refused_share_says_why_and_changes_nothing(
    external, garage, client_for, make_file, data, message
):
    file = make_file(external, name="pitch.png")
    response = send(client_for(external), reverse("files:share", args=[file.pk]), data)
    assert response.status_code == 200
    assert message in text(response)
    assert not file.shares.exists()


def test_people_the_sharer_cannot_see_cannot_be_named(
    external, garage, make_user, client_for, make_file
):
    hidden = make_user(handle="cachee")  # staff, shares no group with Ernest
    file = make_file(external, name="pitch.png")
    response = send(
        client_for(external), reverse("files:share", args=[file.pk]), {"share-person": "cachee"}
    )
    assert "Personne ne correspond à « cachee »" in text(response)
    assert not file.shares.exists()
    assert hidden.display_name not in text(response)


def test_only_the_owner_shares(plan, client_for):
    rachid = User.objects.get(handle="rachid")
    response = send(
        client_for(rachid), reverse("files:share", args=[plan.pk]), {"share-person": "rachid"}
    )
    assert response.status_code == 403


def test_someone_removes_the_share_made_to_them_and_loses_access(
    staff, external, garage, client_for, make_file
):
    file = make_file(external, name="pitch.png")
    services.share_to_person(actor=external, file=file, person=staff)
    share = file.shares.get()
    response = send(client_for(staff), reverse("files:unshare", args=[file.pk, share.pk]))
    assert response["Location"] == reverse("files:mine")
    assert client_for(staff).get(reverse("files:detail", args=[file.pk])).status_code == 404


# --- Comments --------------------------------------------------------------------------------


def test_readers_comment_on_a_file_and_the_thread_shows_on_its_page(plan, client_for):
    rachid = User.objects.get(handle="rachid")
    client = client_for(rachid)
    url = reverse("files:comment", args=[plan.pk])
    response = send(client, url, {"body": "Le hall 4 est mieux placé."})
    assert response["Location"] == reverse("files:detail", args=[plan.pk]) + "#commentaires"
    page = text(client.get(reverse("files:detail", args=[plan.pk])))
    assert "1 commentaire" in page
    assert "Le hall 4 est mieux placé." in page
    comment = Comment.objects.get()
    assert comment.file_id == plan.pk
    assert comment.post_id is None

    partial = send(client, url, {"body": "Et le 5 ?"}, headers={"HX-Request": "true"})
    assert "<html" not in html(partial)
    assert 'id="commentaires"' in html(partial)
    assert "2 commentaires" in text(partial)
    assert "Votre commentaire est publié." in text(partial)


def test_an_empty_comment_is_refused_in_french(plan, external, client_for):
    response = send(client_for(external), reverse("files:comment", args=[plan.pk]), {"body": " "})
    assert response.status_code == 200
    assert "Le formulaire contient une erreur." in text(response)
    assert not Comment.objects.exists()


def test_comment_links_lead_back_to_the_file_page(plan, external, client_for):
    client = client_for(external)
    send(client, reverse("files:comment", args=[plan.pk]), {"body": "Merci"})
    comment = Comment.objects.get()
    response = send(client, f"/commentaires/{comment.pk}/reagir/", {"action": "add"})
    assert response["Location"].startswith(reverse("files:detail", args=[plan.pk]))
    page = html(client.get(reverse("files:detail", args=[plan.pk])))
    assert f'action="/commentaires/{comment.pk}/supprimer/"' in page


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_files_tab_costs_the_same_queries_for_3_or_20_files(
    garage, external, staff, client_for, make_file
):
    client = client_for(external)
    url = reverse("groups:files", args=[garage.slug])
    counts = []
    for size in (3, 20):
        while File.objects.count() < size:
            owner = staff if File.objects.count() % 2 else external
            make_file(owner, name=f"f{File.objects.count()}.png", group=garage)
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12


def test_my_files_costs_the_same_queries_for_3_or_20_files(
    garage, staff, external, client_for, make_file
):
    client = client_for(staff)
    counts = []
    for size in (3, 20):
        while File.objects.count() < size:
            file = make_file(staff, name=f"f{File.objects.count()}.png")
            services.add_version(actor=staff, file=file, incoming=upload("v2.png", png_bytes()))
        counts.append(_queries(client, reverse("files:mine")))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8
    shared = []
    for size in (3, 20):
        while File.objects.filter(owner=external).count() < size:
            file = make_file(external, name="s.png")
            services.share_to_person(actor=external, file=file, person=staff)
        shared.append(_queries(client, reverse("files:mine") + "?tab=shared"))
    assert shared[0] == shared[1], shared
