"""Group actions: requests, roles and the last owner, end dates, invitations, newcomers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from groups import policy, services
from groups.models import Group, Invitation, JoinRequest, Membership
from social.models import Follow
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory


def token_from_mail() -> str:
    body = mail.outbox[-1].body
    return body.split("/invitations/")[1].split("/")[0]


# --- Creating and editing -----------------------------------------------------------------


def test_the_creator_owns_the_new_group_and_follows_it(staff):
    group = services.create_group(
        actor=staff, data={"name": "  Foire de Hanovre 2026 ", "visibility": "private"}
    )

    assert group.name == "Foire de Hanovre 2026"
    assert group.slug == "foire-de-hanovre-2026"
    assert group.memberships.get().role == Membership.Role.OWNER
    assert Follow.objects.filter(follower=staff, group=group).exists()


def test_slugs_stay_unique_and_never_shadow_a_page(staff):
    first = services.create_group(actor=staff, data={"name": "Export"})
    second = services.create_group(actor=staff, data={"name": "Export"})
    reserved = services.create_group(actor=staff, data={"name": "Nouveau"})

    assert (first.slug, second.slug) == ("export", "export-2")
    assert reserved.slug == "nouveau-2"


def test_a_blank_name_is_refused_and_nothing_is_created(staff):
    with pytest.raises(ValidationError) as error:
        services.create_group(actor=staff, data={"name": "   "})
    assert error.value.message_dict["name"] == ["Le nom du groupe est obligatoire."]
    assert not Group.objects.exists()


def test_a_group_with_external_members_cannot_be_closed_to_them(make_group, external, owner):
    group = make_group(Group.Visibility.PRIVATE, owner=owner, open_to_external=True)
    MembershipFactory(group=group, user=external)

    with pytest.raises(ValidationError, match="Retirez d'abord les membres externes"):
        services.update_group(actor=owner, group=group, data={"open_to_external": False})
    group.refresh_from_db()
    assert group.open_to_external


def test_members_cannot_edit_the_group(make_group, staff):
    group = make_group(members=(staff,))
    with pytest.raises(PermissionDenied):
        services.update_group(actor=staff, group=group, data={"name": "Pris"})


# --- Join requests ------------------------------------------------------------------------


def test_an_approved_request_makes_a_member(make_group, owner, elected):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    request = services.join_group(actor=elected, group=group)

    decided = services.decide_join_request(
        actor=owner, request_id=request.pk, group=group, approve=True
    )

    assert decided.status == JoinRequest.Status.APPROVED
    assert decided.decided_by == owner
    assert policy.membership_of(elected, group).role == Membership.Role.MEMBER
    assert Follow.objects.filter(follower=elected, group=group).exists()


def test_a_refused_request_leaves_the_group_unchanged(make_group, owner, elected):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    request = services.join_group(actor=elected, group=group)

    services.decide_join_request(actor=owner, request_id=request.pk, group=group, approve=False)

    request.refresh_from_db()
    assert request.status == JoinRequest.Status.REFUSED
    assert policy.membership_of(elected, group) is None


def test_a_request_is_decided_once(make_group, owner, elected):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    request = services.join_group(actor=elected, group=group)
    services.decide_join_request(actor=owner, request_id=request.pk, group=group, approve=False)

    with pytest.raises(ValidationError, match="déjà été traitée"):
        services.decide_join_request(actor=owner, request_id=request.pk, group=group, approve=True)
    assert policy.membership_of(elected, group) is None


def test_members_cannot_decide_requests(make_group, owner, elected, staff):
    group = make_group(Group.Visibility.PRIVATE, owner=owner, members=(staff,))
    request = services.join_group(actor=elected, group=group)
    with pytest.raises(PermissionDenied):
        services.decide_join_request(actor=staff, request_id=request.pk, group=group, approve=True)
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.PENDING


def test_approving_someone_already_in_keeps_their_role(make_group, owner, elected):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    request = services.join_group(actor=elected, group=group)
    MembershipFactory(group=group, user=elected, role=Membership.Role.MANAGER)

    services.decide_join_request(actor=owner, request_id=request.pk, group=group, approve=True)

    assert group.memberships.get(user=elected).role == Membership.Role.MANAGER


# --- Roles and the last owner -------------------------------------------------------------


def test_the_last_owner_can_neither_leave_nor_be_removed_nor_demoted(make_group, owner):
    group = make_group(owner=owner)

    with pytest.raises(ValidationError, match="au moins un propriétaire"):
        services.leave_group(actor=owner, group=group)
    with pytest.raises(ValidationError, match="au moins un propriétaire"):
        services.change_role(actor=owner, group=group, user=owner, role="member")
    assert group.memberships.get(user=owner).role == Membership.Role.OWNER


def test_with_a_second_owner_the_first_may_leave(make_group, owner, staff):
    group = make_group(owner=owner, members=(staff,))
    services.change_role(actor=owner, group=group, user=staff, role="owner")

    services.leave_group(actor=owner, group=group)

    assert list(group.memberships.values_list("user_id", "role")) == [(staff.pk, "owner")]


def test_managers_cannot_name_remove_or_demote_owners(make_group, owner, make_user):
    manager, other_owner = make_user(User.Kind.STAFF), make_user(User.Kind.STAFF)
    group = make_group(owner=owner)
    MembershipFactory(group=group, user=manager, role=Membership.Role.MANAGER)
    MembershipFactory(group=group, user=other_owner, role=Membership.Role.OWNER)

    with pytest.raises(ValidationError, match="Seul un propriétaire peut nommer"):
        services.change_role(actor=manager, group=group, user=manager, role="owner")
    with pytest.raises(ValidationError, match="Seul un propriétaire peut retirer"):
        services.change_role(actor=manager, group=group, user=other_owner, role="member")
    with pytest.raises(ValidationError, match="Seul un propriétaire peut retirer"):
        services.remove_member(actor=manager, group=group, user=other_owner)
    assert group.memberships.filter(role="owner").count() == 2


def test_managers_remove_members_and_members_remove_only_themselves(make_group, owner, make_user):
    manager, member, other = (make_user(User.Kind.STAFF) for _ in range(3))
    group = make_group(owner=owner, members=(member, other))
    MembershipFactory(group=group, user=manager, role=Membership.Role.MANAGER)

    with pytest.raises(PermissionDenied):
        services.remove_member(actor=member, group=group, user=other)
    services.remove_member(actor=manager, group=group, user=other)
    services.remove_member(actor=member, group=group, user=member)

    assert set(group.memberships.values_list("user_id", flat=True)) == {owner.pk, manager.pk}


def test_an_unknown_role_is_refused(make_group, owner, staff):
    group = make_group(owner=owner, members=(staff,))
    with pytest.raises(ValidationError, match="Rôle inconnu"):
        services.change_role(actor=owner, group=group, user=staff, role="king")


# --- External members' end date -----------------------------------------------------------


def test_an_end_date_is_for_external_members_and_in_the_future(make_group, owner, external, staff):
    group = make_group(owner=owner, open_to_external=True, members=(external, staff))
    tomorrow = timezone.now() + timedelta(days=1)

    services.set_membership_end(actor=owner, group=group, user=external, ends_at=tomorrow)
    assert group.memberships.get(user=external).expires_at == tomorrow

    with pytest.raises(ValidationError, match="dans le futur"):
        services.set_membership_end(
            actor=owner, group=group, user=external, ends_at=timezone.now() - timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="Seuls les membres externes"):
        services.set_membership_end(actor=owner, group=group, user=staff, ends_at=tomorrow)
    with pytest.raises(PermissionDenied):
        services.set_membership_end(actor=staff, group=group, user=external, ends_at=None)

    services.set_membership_end(actor=owner, group=group, user=external, ends_at=None)
    assert group.memberships.get(user=external).expires_at is None


# --- Invitations --------------------------------------------------------------------------


def test_an_invitation_is_mailed_with_a_link_and_only_its_digest_is_stored(
    make_group, owner, django_capture_on_commit_callbacks
):
    group = make_group(owner=owner, open_to_external=True)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(actor=owner, group=group, email="  Lea@Ferment.example ")

    assert invitation.email == "lea@ferment.example"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lea@ferment.example"]
    assert group.name in message.subject
    assert "membres extérieurs" in message.body
    token = token_from_mail()
    assert token not in invitation.digest
    assert services.find_invitation(token) == invitation


def test_an_invitation_works_only_for_the_invited_address(
    make_group, owner, make_user, django_capture_on_commit_callbacks
):
    invited, other = make_user(User.Kind.STAFF), make_user(User.Kind.STAFF)
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email=invited.email)
    token = token_from_mail()

    with pytest.raises(ValidationError, match="une autre adresse"):
        services.accept_invitation(actor=other, token=token)
    assert policy.membership_of(other, group) is None

    services.accept_invitation(actor=invited, token=token)
    assert policy.membership_of(invited, group) is not None


def test_an_invitation_works_once(make_group, owner, staff, django_capture_on_commit_callbacks):
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email=staff.email)
    token = token_from_mail()
    services.accept_invitation(actor=staff, token=token)
    services.leave_group(actor=staff, group=group)

    with pytest.raises(ValidationError, match="plus valable"):
        services.accept_invitation(actor=staff, token=token)
    assert policy.membership_of(staff, group) is None


def test_an_expired_invitation_is_refused(
    make_group, owner, staff, django_capture_on_commit_callbacks
):
    group = make_group(Group.Visibility.UNLISTED, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(actor=owner, group=group, email=staff.email)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    with pytest.raises(ValidationError, match="plus valable"):
        services.accept_invitation(actor=staff, token=token_from_mail())
    assert policy.membership_of(staff, group) is None


def test_an_unknown_token_is_refused(staff):
    with pytest.raises(ValidationError, match="plus valable"):
        services.accept_invitation(actor=staff, token="nothing-like-a-token")


def test_invitations_are_refused_for_members_and_for_accounts_that_cannot_belong(
    make_group, owner, staff, external, citizen
):
    group = make_group(owner=owner, members=(staff,))

    for email, message in [
        (staff.email, "déjà membre"),
        (external.email, "ne peut pas rejoindre"),  # the group is not open to externals
        (citizen.email, "ne peut pas rejoindre"),
        ("pas-une-adresse", "Adresse e-mail invalide"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.invite(actor=owner, group=group, email=email)
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_only_managers_invite(make_group, owner, staff):
    group = make_group(owner=owner, members=(staff,))
    with pytest.raises(PermissionDenied):
        services.invite(actor=staff, group=group, email="x@example.test")
    assert not Invitation.objects.exists()


def test_a_newcomer_to_a_group_open_to_externals_becomes_an_external_member(
    make_group, owner, django_capture_on_commit_callbacks
):
    group = make_group(owner=owner, open_to_external=True, charter="Confidentialité.")
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email="new@garage.example")

    user = services.create_account_from_invitation(
        token=token_from_mail(),
        display_name="Nina Nouvelle",
        password=PASSWORD,
        organisation_name="Garage Start",
    )

    assert user.kind == User.Kind.EXTERNAL
    assert user.organisation.name == "Garage Start"
    assert user.check_password(PASSWORD)
    membership = policy.membership_of(user, group)
    assert membership.role == Membership.Role.MEMBER
    assert membership.charter_accepted_at is not None


def test_a_newcomer_reuses_an_existing_organisation(
    make_group, owner, django_capture_on_commit_callbacks
):
    existing = OrganisationFactory(name="Ferment & Co")
    group = make_group(owner=owner, open_to_external=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email="new@ferment.example")
    user = services.create_account_from_invitation(
        token=token_from_mail(),
        display_name="Paul",
        password=PASSWORD,
        organisation_name="ferment & co",
    )
    assert user.organisation == existing


def test_a_newcomer_invited_by_staff_to_an_internal_group_becomes_staff(
    make_group, owner, django_capture_on_commit_callbacks
):
    group = make_group(Group.Visibility.PRIVATE, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email="collegue@agence.example")

    user = services.create_account_from_invitation(
        token=token_from_mail(), display_name="Claire Collègue", password=PASSWORD
    )

    assert user.kind == User.Kind.STAFF
    assert user.organisation is None
    assert policy.membership_of(user, group) is not None


def test_only_staff_invite_newcomers_into_a_group_closed_to_externals(
    make_group, elected, make_user
):
    group = make_group(Group.Visibility.PRIVATE)
    MembershipFactory(group=group, user=elected, role=Membership.Role.MANAGER)
    known = make_user(User.Kind.STAFF)

    with pytest.raises(ValidationError, match="Seul un agent"):
        services.invite(actor=elected, group=group, email="inconnu@example.test")
    assert services.invite(actor=elected, group=group, email=known.email)  # has an account


def test_a_newcomer_account_is_refused_when_the_rules_are_not_met(
    make_group, owner, staff, django_capture_on_commit_callbacks
):
    group = make_group(owner=owner, open_to_external=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email="new@garage.example")
    token = token_from_mail()

    with pytest.raises(ValidationError, match="Indiquez votre organisation"):
        services.create_account_from_invitation(
            token=token, display_name="N", password=PASSWORD, organisation_name="  "
        )
    with pytest.raises(ValidationError):  # the password rules
        services.create_account_from_invitation(
            token=token, display_name="N", password="court", organisation_name="Garage"
        )
    assert not User.objects.filter(email="new@garage.example").exists()

    # Someone created the account in the meantime: the link asks to sign in instead.
    services.create_account_from_invitation(
        token=token, display_name="N", password=PASSWORD, organisation_name="Garage"
    )
    with pytest.raises(ValidationError, match="plus valable"):
        services.create_account_from_invitation(
            token=token, display_name="N", password=PASSWORD, organisation_name="Garage"
        )


def test_a_returning_external_member_starts_afresh_after_their_access_ended(
    make_group, owner, external, django_capture_on_commit_callbacks
):
    group = make_group(owner=owner, open_to_external=True)
    MembershipFactory(
        group=group,
        user=external,
        role=Membership.Role.MANAGER,
        expires_at=timezone.now() - timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(actor=owner, group=group, email=external.email)

    services.accept_invitation(actor=external, token=token_from_mail())

    membership = group.memberships.get(user=external)
    assert membership.role == Membership.Role.MEMBER
    assert membership.expires_at is None
