"""Administrators create staff, elected and external accounts; the person sets a password."""

from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from tests.accounts.test_sessions import sign_in
from tests.factories import OrganisationFactory


def test_an_administrator_creates_an_external_account_and_the_person_gets_a_password_link(
    make_user,
):
    admin = sign_in(make_user(User.Kind.STAFF, is_superuser=True, is_staff=True))
    startup = OrganisationFactory(name="Solaris Mobilité")
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "Ines@Solaris.test",
            "kind": "external",
            "display_name": "Inès Dubois",
            "organisation": startup.pk,
            "job_title": "Présidente",
            "department": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="ines@solaris.test")
    assert person.kind == User.Kind.EXTERNAL
    assert person.organisation == startup
    assert person.handle == "ines"
    assert not person.has_usable_password()
    assert EmailAddress.objects.get(user=person).verified
    assert [m.to for m in mail.outbox] == [["ines@solaris.test"]]
    assert "/compte/password/reset/key/" in mail.outbox[0].body


def test_an_external_account_without_organisation_is_refused(make_user):
    admin = sign_in(make_user(User.Kind.STAFF, is_superuser=True, is_staff=True))
    response = admin.post(
        "/admin/accounts/user/add/",
        {"email": "x@y.test", "kind": "external", "display_name": "X", "organisation": ""},
    )
    assert response.status_code == 200
    assert "doit appartenir à une organisation" in response.content.decode()
    assert not User.objects.filter(email="x@y.test").exists()


def test_staff_without_admin_rights_cannot_open_the_admin(staff):
    assert sign_in(staff).get("/admin/accounts/user/").status_code == 302
