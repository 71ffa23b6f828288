"""Shared files in Chromium: a start-up member uploads two files to « Le Garage » in chunks,
with a progress bar each; a staff member sends a new version; both see the history; an
external member of another group gets 404 on the download; a cancelled upload (of a file
dropped on the zone) leaves nothing.

The live server speaks WSGI: downloads take the synchronous path there.
"""

import io
import random
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from files.models import File, FileVersion, Upload
from groups.models import Group
from tests.factories import GroupFactory, MembershipFactory, OrganisationFactory

CHUNK = 16 * 1024


def noisy_png(seed: int) -> bytes:
    """A PNG that does not compress: several chunks of CHUNK bytes."""
    size = (200 + seed, 120)
    noise = random.Random(seed).randbytes(size[0] * size[1] * 3)
    image = Image.frombytes("RGB", size, noise)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def noisy_pdf() -> bytes:
    out = io.BytesIO()
    noise = random.Random(42).randbytes(300 * 300 * 3)
    Image.frombytes("RGB", (300, 300), noise).save(out, "PDF")
    return out.getvalue()


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.FILES_CHUNK_SIZE = CHUNK


@pytest.fixture
def garage(staff, make_user) -> dict:
    group = GroupFactory(
        name="Le Garage",
        slug="le-garage",
        visibility=Group.Visibility.PRIVATE,
        open_to_external=True,
        created_by=staff,
    )
    founder = make_user(
        User.Kind.EXTERNAL,
        display_name="Fatou Fondatrice",
        organisation=OrganisationFactory(name="Biochar & Co"),
    )
    MembershipFactory(group=group, user=founder)
    stranger = make_user(User.Kind.EXTERNAL, display_name="Olga Ailleurs")
    MembershipFactory(group=GroupFactory(name="Pépinière", open_to_external=True), user=stranger)
    return {"group": group, "founder": founder, "stranger": stranger}


def switch_user(page: Page, login, user) -> None:
    page.context.clear_cookies()
    login(page, user)


def upload_item(page: Page, name: str):
    return page.locator(".upload", has=page.locator(".upload__name", has_text=name))


def test_a_start_up_uploads_two_files_staff_adds_a_version_outsiders_get_404(
    page, visit, login, assert_accessible, staff, garage
):
    founder, stranger = garage["founder"], garage["stranger"]
    plan, dossier = noisy_png(0), noisy_pdf()
    assert len(plan) > 3 * CHUNK
    assert len(dossier) > 2 * CHUNK
    chunks = []
    page.on(
        "request",
        lambda request: chunks.append(request.url) if request.method == "PUT" else None,
    )

    # Fatou, of a start-up, shares two files in Le Garage's Files tab.
    login(page, founder)
    visit("/groupes/le-garage/fichiers/")
    expect(page.get_by_text("Aucun fichier n’est encore partagé dans ce groupe.")).to_be_visible()
    page.get_by_label("Choisir des fichiers").set_input_files(
        [
            {"name": "plan-du-salon.png", "mimeType": "image/png", "buffer": plan},
            {"name": "dossier-financement.pdf", "mimeType": "application/pdf", "buffer": dossier},
        ]
    )
    for name, data in (("plan-du-salon.png", plan), ("dossier-financement.pdf", dossier)):
        item = upload_item(page, name)
        progress = item.get_by_role("progressbar", name=f"Progression de l’envoi de {name}")
        expect(progress).to_be_visible()
        expect(item.locator(".upload__status")).to_have_text(re.compile(r"^Envoyé\."))
        expect(progress).to_have_attribute("max", str(len(data)))
        expect(progress).to_have_attribute("value", str(len(data)))
        expect(item.locator(".upload__percent")).to_have_text("100 %")
    assert len(chunks) >= len(plan) // CHUNK + len(dossier) // CHUNK
    assert any("offset=0" in url for url in chunks)
    assert any("offset=16384" in url for url in chunks)
    # The list is reloaded in place with both files.
    results = page.locator("#file-results")
    expect(results.get_by_role("heading", name="2 fichiers")).to_be_visible()
    expect(results.get_by_role("link", name="dossier-financement.pdf")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # only the list was swapped
    assert_accessible(page)
    file = File.objects.get(name="plan-du-salon.png")
    assert file.shares.get().group == garage["group"]
    assert file.current_version.size == len(plan)
    assert not Upload.objects.exists()

    results.get_by_role("link", name="plan-du-salon.png").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("plan-du-salon.png")
    assert_accessible(page)

    # Agnès, of the agency, sends a new version from the file's page.
    switch_user(page, login, staff)
    visit(f"/fichiers/{file.pk}/")
    new_plan = noisy_png(7)
    page.get_by_label("Choisir le fichier de la nouvelle version").set_input_files(
        {"name": "plan-du-salon-v2.png", "mimeType": "image/png", "buffer": new_plan}
    )
    item = upload_item(page, "plan-du-salon-v2.png")
    expect(item.get_by_role("progressbar")).to_have_attribute("value", str(len(new_plan)))
    history = page.get_by_role("table", name=re.compile("Toutes les versions du fichier"))
    expect(history.get_by_role("link", name="Télécharger la version 2")).to_be_visible()
    assert_accessible(page)
    assert FileVersion.objects.filter(file=file).count() == 2

    # Both see the history: version 1 by Fatou, version 2 by Agnès.
    for person in (founder, staff):
        switch_user(page, login, person)
        visit(f"/fichiers/{file.pk}/")
        rows = page.get_by_role("table", name=re.compile("Toutes les versions")).locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("v2")
        expect(rows.nth(0)).to_contain_text("Agnès Agent")
        expect(rows.nth(1)).to_contain_text("v1")
        expect(rows.nth(1)).to_contain_text("Fatou Fondatrice")

    # Olga, a start-up member of another group, reaches nothing.
    switch_user(page, login, stranger)
    visit(f"/fichiers/{file.pk}/telecharger/", status=404)
    visit(f"/fichiers/{file.pk}/telecharger/?version=1", status=404)
    visit(f"/fichiers/{file.pk}/", status=404)


def test_a_cancelled_upload_leaves_nothing_behind(page, visit, login, garage, settings):
    held = []

    def hold_chunks(route) -> None:
        if route.request.method == "PUT":
            held.append(route)  # never answered: the upload stays under way
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/uploads/[^/?]+"), hold_chunks)
    login(page, garage["founder"])
    visit("/fichiers/")
    # Dropped on the zone, this time, rather than chosen with the file input.
    with page.expect_request(lambda request: request.method == "PUT"):
        page.locator("[data-uploader-zone]").evaluate(
            """zone => {
                const files = new DataTransfer();
                files.items.add(new File([new Uint8Array(60000)], "brouillon.png"));
                zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true}));
            }"""
        )
    item = upload_item(page, "brouillon.png")
    expect(item.get_by_role("progressbar")).to_be_visible()
    assert Upload.objects.count() == 1
    assert len(list(settings.FILES_STAGING_DIR.glob("*.part"))) == 1
    with page.expect_response(
        lambda response: response.request.method == "DELETE" and response.status == 204
    ):
        item.get_by_role("button", name="Annuler brouillon.png").click()
    expect(item.locator(".upload__status")).to_have_text("Envoi annulé.")
    expect(page.locator("[data-uploader-status]")).to_have_text("Envoi annulé. brouillon.png")
    assert held, "the chunk request was under way"
    assert not Upload.objects.exists()
    assert not File.objects.exists()
    assert not list(settings.FILES_STAGING_DIR.glob("*.part"))
    expect(page.get_by_text("Vous n’avez encore envoyé aucun fichier.")).to_be_visible()
