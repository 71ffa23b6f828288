"""Meeting services: rules, limits, French errors, nothing half-written, events after commit."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from files.models import File, FileShare
from files.policy import can_view_file, visible_files
from meetings import policy, services
from meetings.models import (
    AgendaItem,
    Decision,
    DecisionUpdate,
    Invitation,
    Meeting,
    Opinion,
    OpinionChange,
)
from social import policy as social_policy
from social import services as social_services
from social.models import Post
from tests.meetings.conftest import when


def messages(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


# --- Meetings --------------------------------------------------------------------------------


def test_creating_a_meeting_invites_the_organiser_and_the_participants(world):
    owner, group = world.users["owner"], world.groups["private"]
    start, end = when()
    meeting = services.create_meeting(
        actor=owner,
        group=group,
        title="  Comité de pilotage  ",
        starts_at=start,
        ends_at=end,
        video_url="https://visio.example.test/royeux",
        participants=[world.users["elected_invited"], owner],
    )
    assert meeting.title == "Comité de pilotage"
    assert meeting.status == Meeting.Status.PREPARATION
    assert set(meeting.invitations.values_list("user_id", flat=True)) == {
        owner.pk,
        world.users["elected_invited"].pk,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "obligatoire"),
        ({"title": "x" * 201}, "200 caractères"),
        ({"description": "x" * 10_001}, "10 000 caractères"),
        ({"place": "", "video_url": ""}, "lieu ou un lien"),
        ({"video_url": "http://visio.example.test/"}, "https://"),
        ({"video_url": "javascript:alert(1)"}, "https://"),
        ({"swap": True}, "finir après son début"),
    ],
)
def test_a_refused_meeting_says_why_in_french_and_writes_nothing(world, fields, message):
    start, end = when()
    if fields.pop("swap", False):
        start, end = end, start
    arguments = {
        "actor": world.users["owner"],
        "group": world.groups["public"],
        "title": "Réunion",
        "starts_at": start,
        "ends_at": end,
        "place": "Salle 1",
        **fields,
    }
    before = Meeting.objects.count(), Invitation.objects.count()
    with pytest.raises(ValidationError) as error:
        services.create_meeting(**arguments)
    assert message in messages(error.value)
    assert (Meeting.objects.count(), Invitation.objects.count()) == before


def test_naive_datetimes_are_refused(world):
    start = timezone.now().replace(tzinfo=None) + timedelta(days=2)
    with pytest.raises(ValidationError, match="fuseau"):
        services.create_meeting(
            actor=world.users["owner"],
            group=world.groups["public"],
            title="Réunion",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="Salle",
        )


@pytest.mark.parametrize("who", ["staff_outsider", "external_member", "citizen", "elected_other"])
def test_only_managers_and_staff_members_create_meetings(world, who):
    start, end = when()
    with pytest.raises(PermissionDenied):
        services.create_meeting(
            actor=world.users[who],
            group=world.groups["garage"],
            title="Réunion",
            starts_at=start,
            ends_at=end,
            place="Salle",
        )


def test_inviting_someone_who_may_not_attend_is_refused_and_invites_nobody(world):
    meeting = world.meetings["private"]
    before = meeting.invitations.count()
    with pytest.raises(ValidationError, match="seuls les membres du groupe et les élus"):
        services.invite(
            actor=world.users["owner"],
            meeting=meeting,
            people=[world.users["elected_other"], world.users["staff_outsider"]],
        )
    assert meeting.invitations.count() == before
    services.invite(actor=world.users["owner"], meeting=meeting, people=[world.users["manager"]])
    assert meeting.invitations.count() == before + 1


def test_the_organiser_cannot_be_uninvited(world):
    meeting = world.meetings["public"]
    with pytest.raises(ValidationError, match="L'organisateur"):
        services.uninvite(actor=world.users["manager"], meeting=meeting, person=meeting.organiser)


def test_changing_the_schedule_bumps_the_calendar_sequence(world):
    meeting = world.meetings["public"]
    start, end = when(days=9)
    updated = services.update_meeting(
        actor=world.users["owner"], meeting=meeting, starts_at=start, ends_at=end
    )
    assert updated.sequence == 1
    again = services.update_meeting(actor=world.users["owner"], meeting=meeting, starts_at=start)
    assert again.sequence == 1  # nothing changed
    with pytest.raises(PermissionDenied):
        services.update_meeting(actor=world.users["staff_member"], meeting=meeting, title="X")


# --- Agenda ----------------------------------------------------------------------------------


def agenda(meeting: Meeting) -> list[str]:
    return list(meeting.items.order_by("position").values_list("title", flat=True))


def test_items_are_ordered_and_the_organiser_reorders_them(world):
    owner, meeting = world.users["owner"], world.meetings["public"]
    items = [services.add_item(actor=owner, meeting=meeting, title=t) for t in "ABCD"]
    assert agenda(meeting) == ["A", "B", "C", "D"]
    services.move_item(actor=owner, item=items[3], position=0)
    assert agenda(meeting) == ["D", "A", "B", "C"]
    services.move_item(actor=owner, item=items[3], position=3)
    assert agenda(meeting) == ["A", "B", "C", "D"]
    services.remove_item(actor=owner, item=items[1])
    new = services.add_item(actor=owner, meeting=meeting, title="E")
    assert agenda(meeting) == ["A", "C", "D", "E"]
    with pytest.raises(ValidationError, match="position n'existe pas"):
        services.move_item(actor=owner, item=new, position=4)
    with pytest.raises(PermissionDenied):
        services.move_item(actor=world.users["staff_member"], item=new, position=0)


def test_item_descriptions_are_rendered_like_posts_and_limited(world):
    owner, meeting = world.users["owner"], world.meetings["public"]
    item = services.add_item(
        actor=owner, meeting=meeting, title="Budget", description="**Vote** <script>x</script>"
    )
    assert "<strong>Vote</strong>" in item.description_html
    assert "<script>" not in item.description_html
    with pytest.raises(ValidationError, match="10 000"):
        services.edit_item(actor=owner, item=item, description="x" * 10_001)
    item.refresh_from_db()
    assert item.description.startswith("**Vote**")


def test_participants_may_add_items_when_allowed_and_edit_only_theirs(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    with pytest.raises(PermissionDenied):
        services.add_item(actor=member, meeting=meeting, title="Mon point")
    services.update_meeting(actor=owner, meeting=meeting, members_may_add_items=True)
    mine = services.add_item(actor=member, meeting=meeting, title="Mon point")
    theirs = services.add_item(actor=owner, meeting=meeting, title="Point de l'organisateur")
    services.edit_item(actor=member, item=mine, title="Mon point précisé")
    with pytest.raises(PermissionDenied):
        services.edit_item(actor=member, item=theirs, title="Non")


def test_files_attached_to_an_item_are_readable_by_whoever_sees_the_meeting(world):
    owner, meeting = world.users["owner"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Plan du terrain")
    file = File.objects.create(owner=owner, name="plan.pdf")
    elected, outsider = world.users["elected_invited"], world.users["staff_outsider"]
    assert not can_view_file(elected, file)
    share = services.attach_file_to_item(actor=owner, item=item, file=file)
    assert share.item_id == item.pk
    assert can_view_file(elected, file)
    assert visible_files(elected).filter(pk=file.pk).exists()
    assert not can_view_file(outsider, file)
    # Someone else's file cannot be attached by a participant.
    others = File.objects.create(owner=world.users["staff_member"], name="autre.pdf")
    with pytest.raises(PermissionDenied):
        services.attach_file_to_item(actor=owner, item=item, file=others)
    assert not FileShare.objects.filter(file=others).exists()


# --- Thread (social comments) ----------------------------------------------------------------


def test_an_item_thread_is_made_of_social_comments_with_mentions(
    world, published, django_capture_on_commit_callbacks
):
    owner, meeting = world.users["owner"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Terrain")
    elected = world.users["elected_invited"]
    with django_capture_on_commit_callbacks(execute=True):
        comment = social_services.add_comment(
            author=elected, item=item, body="Qui finance ? @marie", is_question=True
        )
    assert comment.is_question
    assert comment.item_id == item.pk
    assert list(comment.mentions.all()) == [world.users["staff_member"]]
    assert social_policy.can_view_thread(elected, comment)
    assert not social_policy.can_view_thread(world.users["staff_outsider"], comment)
    assert social_policy.visible_comments(elected).filter(pk=comment.pk).exists()
    event = [e for e in published if e[1] == "meeting.comment"]
    assert event[0][2] == {"meeting": meeting.pk, "item": item.pk, "comment": comment.pk}
    assert world.users["staff_outsider"].pk not in event[0][0]
    assert elected.pk in event[0][0]
    # A mention of someone who cannot see the meeting is refused.
    with pytest.raises(ValidationError, match="ne peut pas voir cette réunion"):
        social_services.add_comment(author=owner, item=item, body="Avis de @sacha ?")
    # A reply must stay in the same thread.
    other = services.add_item(actor=owner, meeting=meeting, title="Autre")
    with pytest.raises(ValidationError, match="pas dans ce fil"):
        social_services.add_comment(author=owner, item=other, body="Oui", reply_to=comment)
    with pytest.raises(PermissionDenied):
        social_services.add_comment(author=world.users["staff_outsider"], item=item, body="Moi")


# --- Opinions and preparation ----------------------------------------------------------------


def test_a_participant_gives_and_changes_a_position_with_history(
    world, published, django_capture_on_commit_callbacks
):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    with django_capture_on_commit_callbacks(execute=True):
        services.set_opinion(actor=member, item=item, position="pour", argument="Utile")
        services.set_opinion(actor=member, item=item, position="contre", argument="Trop cher")
        services.set_opinion(actor=member, item=item, position="contre", argument="Trop cher")
    opinion = Opinion.objects.get(item=item, user=member)
    assert (opinion.position, opinion.argument) == ("contre", "Trop cher")
    assert list(
        OpinionChange.objects.filter(item=item, user=member).values_list("position", flat=True)
    ) == ["pour", "contre"]
    events = [e for e in published if e[1] == "meeting.opinion"]
    assert len(events) == 2
    recipients = events[0][0]
    assert member.pk in recipients
    assert owner.pk in recipients
    assert world.users["staff_outsider"].pk not in recipients  # reads the group, not positions
    assert events[0][2] == {"meeting": meeting.pk, "item": item.pk, "user": member.pk}


def test_positions_are_checked(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    item = services.add_item(actor=owner, meeting=world.meetings["public"], title="Budget")
    with pytest.raises(ValidationError, match="Position inconnue"):
        services.set_opinion(actor=member, item=item, position="peut-être")
    with pytest.raises(ValidationError, match="1 000 caractères"):
        services.set_opinion(actor=member, item=item, position="pour", argument="x" * 1001)
    with pytest.raises(PermissionDenied):
        services.set_opinion(actor=world.users["staff_outsider"], item=item, position="pour")
    assert not Opinion.objects.exists()
    assert not OpinionChange.objects.exists()


def test_no_opinion_once_the_meeting_has_started(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    item.meeting.refresh_from_db()
    with pytest.raises(ValidationError, match="La réunion a commencé"):
        services.set_opinion(actor=member, item=item, position="pour")
    assert not Opinion.objects.exists()


def test_no_opinion_once_the_meeting_is_held(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    services.hold_meeting(actor=owner, meeting=meeting)
    item.meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        services.set_opinion(actor=member, item=item, position="pour")


def test_ready_and_agenda_read_are_recorded(world, published, django_capture_on_commit_callbacks):
    member, meeting = world.users["staff_member"], world.meetings["public"]
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.mark_ready(actor=member, meeting=meeting)
    assert invitation.ready_at is not None
    assert [e[1] for e in published] == ["meeting.ready"]
    assert published[0][2] == {"meeting": meeting.pk, "user": member.pk, "ready": True}
    assert services.unmark_ready(actor=member, meeting=meeting).ready_at is None
    first = services.mark_agenda_read(actor=member, meeting=meeting).agenda_read_at
    assert services.mark_agenda_read(actor=member, meeting=meeting).agenda_read_at == first
    assert services.mark_agenda_read(actor=world.users["staff_outsider"], meeting=meeting) is None
    with pytest.raises(PermissionDenied):
        services.mark_ready(actor=world.users["staff_outsider"], meeting=meeting)


def test_a_reminder_goes_to_unprepared_participants_once_an_hour(
    world, published, django_capture_on_commit_callbacks
):
    owner, meeting = world.users["owner"], world.meetings["garage"]
    member, elected = world.users["staff_member"], world.users["elected_invited"]
    external = world.users["external_member"]
    services.mark_ready(actor=member, meeting=meeting)
    services.mark_agenda_read(actor=member, meeting=meeting)
    services.mark_agenda_read(actor=elected, meeting=meeting)  # read, not ready
    with django_capture_on_commit_callbacks(execute=True):
        reminded = services.send_reminder(actor=owner, meeting=meeting)
    # Not the prepared member, not the organiser, not the deactivated account.
    assert {p.pk for p in reminded} == {elected.pk, external.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([elected.email, external.email])
    assert "Rappel" in mail.outbox[0].subject
    events = [e for e in published if e[1] == "meeting.reminder"]
    assert events[0][0] == sorted([elected.pk, external.pk])
    with pytest.raises(ValidationError, match="moins d'une heure"):
        services.send_reminder(actor=owner, meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(reminded_at=timezone.now() - timedelta(hours=2))
    assert len(services.send_reminder(actor=owner, meeting=meeting)) == 2
    with pytest.raises(PermissionDenied):
        services.send_reminder(actor=member, meeting=meeting)


# --- During and after ------------------------------------------------------------------------


def test_attendance_only_for_invited_people(world):
    owner, meeting = world.users["owner"], world.meetings["public"]
    member = world.users["staff_member"]
    services.record_attendance(actor=owner, meeting=meeting, attendance={member.pk: True})
    assert Invitation.objects.get(meeting=meeting, user=member).attended is True
    with pytest.raises(ValidationError, match="pas invitées"):
        services.record_attendance(
            actor=owner,
            meeting=meeting,
            attendance={member.pk: False, world.users["staff_outsider"].pk: True},
        )
    assert Invitation.objects.get(meeting=meeting, user=member).attended is True


def test_decisions_have_an_owner_who_sees_the_meeting_and_a_follow_up_log(world):
    owner, meeting = world.users["owner"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Voirie")
    member = world.users["staff_member"]
    with pytest.raises(ValidationError, match="Le responsable"):
        services.add_decision(
            actor=owner, meeting=meeting, text="Refaire", owner=world.users["staff_outsider"]
        )
    with pytest.raises(ValidationError, match="obligatoire"):
        services.add_decision(actor=owner, meeting=meeting, text=" ", owner=member)
    with pytest.raises(ValidationError, match="2 000"):
        services.add_decision(actor=owner, meeting=meeting, text="x" * 2001, owner=member)
    other_item = services.add_item(actor=owner, meeting=world.meetings["public"], title="Autre")
    with pytest.raises(ValidationError, match="pas à l'ordre du jour"):
        services.add_decision(
            actor=owner, meeting=meeting, text="Refaire", owner=member, item=other_item
        )
    assert not Decision.objects.exists()
    decision = services.add_decision(
        actor=owner,
        meeting=meeting,
        text="Refaire la chaussée",
        owner=member,
        due_on=timezone.localdate() - timedelta(days=1),
        item=item,
    )
    assert decision.is_overdue
    with pytest.raises(PermissionDenied):
        services.add_decision(actor=member, meeting=meeting, text="Moi", owner=member)
    services.update_decision_status(
        actor=member, decision=decision, status="en_cours", comment="Devis demandé"
    )
    with pytest.raises(ValidationError, match="Statut inconnu"):
        services.update_decision_status(actor=member, decision=decision, status="fini")
    with pytest.raises(PermissionDenied):
        services.update_decision_status(
            actor=world.users["elected_invited"], decision=decision, status="fait"
        )
    services.update_decision_status(actor=owner, decision=decision, status="fait")
    decision.refresh_from_db()
    assert decision.status == "fait"
    assert not decision.is_overdue
    assert list(DecisionUpdate.objects.values_list("status", "comment")) == [
        ("en_cours", "Devis demandé"),
        ("fait", ""),
    ]


def test_closing_publishes_the_minutes_in_the_group_feed(
    world, published, django_capture_on_commit_callbacks
):
    owner, meeting = world.users["owner"], world.meetings["private"]
    member = world.users["staff_member"]
    item = services.add_item(actor=owner, meeting=meeting, title="Voirie du Royeux")
    services.set_opinion(actor=member, item=item, position="pour", argument="Urgent, dit @sacha")
    services.add_decision(
        actor=owner, meeting=meeting, text="Lancer l'appel d'offres", owner=member, item=item
    )
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.close_meeting(actor=owner, meeting=meeting)
    assert closed.status == Meeting.Status.CLOSED
    assert closed.closed_at is not None
    post = Post.objects.get(pk=closed.minutes_post_id)
    assert post.group_id == meeting.group_id
    assert "Voirie du Royeux" in post.body
    assert "Lancer l'appel d'offres" in post.body
    assert "Urgent" in post.body
    assert not post.mentions.exists()  # quoted @handles mention nobody
    assert f"/meetings/{meeting.pk}" in post.body
    assert [e[1] for e in published if e[1] == "meeting.closed"] == ["meeting.closed"]
    # Once closed, nothing more is recorded, and the positions are public to the group.
    with pytest.raises(PermissionDenied):
        services.add_decision(actor=owner, meeting=closed, text="Trop tard", owner=member)
    assert policy.can_view_opinions(world.users["manager"], closed)


def test_a_refused_close_publishes_nothing(world):
    meeting = world.meetings["public"]
    with pytest.raises(PermissionDenied):
        services.close_meeting(actor=world.users["staff_member"], meeting=meeting)
    assert not Post.objects.exists()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PREPARATION


def test_removing_an_item_takes_its_thread_and_opinions(world):
    owner, meeting = world.users["owner"], world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    services.set_opinion(actor=owner, item=item, position="pour")
    social_services.add_comment(author=owner, item=item, body="Bonjour")
    services.remove_item(actor=owner, item=item)
    assert not AgendaItem.objects.exists()
    assert not Opinion.objects.exists()


def test_agenda_events_reach_the_meeting_viewers_only_after_commit(
    world, published, django_capture_on_commit_callbacks
):
    owner, meeting = world.users["owner"], world.meetings["private"]
    with django_capture_on_commit_callbacks(execute=False) as pending:
        item = services.add_item(actor=owner, meeting=meeting, title="Voirie")
    assert published == []
    for callback in pending:
        callback()
    ((recipients, type, data),) = published
    assert type == "meeting.item"
    assert data == {"meeting": meeting.pk, "item": item.pk, "action": "created"}
    expected = {"owner", "manager", "staff_member", "elected_invited"}
    assert set(recipients) == {world.users[key].pk for key in expected}
