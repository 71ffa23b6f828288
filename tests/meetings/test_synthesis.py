"""The synthesis matches the thread: positions counted once with their latest value, arguments
grouped, open questions, files; only today's participants count; constant query count."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from files.models import File
from meetings import services
from meetings.synthesis import compute_synthesis
from social import services as social_services


def item_of(synthesis, item):
    return next(i for i in synthesis.items if i.item_id == item.pk)


def test_changed_positions_count_once_with_the_latest_value(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    elected, meeting = world.users["elected_invited"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    services.set_opinion(actor=member, item=item, position="pour", argument="Utile")
    services.set_opinion(actor=member, item=item, position="contre", argument="Trop cher")
    services.set_opinion(actor=elected, item=item, position="contre")
    services.set_opinion(actor=owner, item=item, position="reserve", argument="À voir")
    result = item_of(compute_synthesis(meeting), item)
    assert result.counts == {"pour": 0, "contre": 2, "reserve": 1, "sans_avis": 0}
    assert result.total == 3
    assert {p: [(a.author_name, a.text) for a in args] for p, args in result.arguments.items()} == {
        "contre": [("Marie", "Trop cher")],
        "reserve": [("Olivier", "À voir")],
    }
    assert set(result.prepared_by) == {member.pk, elected.pk, owner.pk}


def test_participants_who_left_the_group_or_were_uninvited_no_longer_count(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    elected, meeting = world.users["elected_invited"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Budget")
    services.set_opinion(actor=member, item=item, position="pour", argument="Oui")
    services.set_opinion(actor=elected, item=item, position="contre", argument="Non")
    meeting.group.memberships.filter(user=member).delete()  # left the private group
    services.uninvite(actor=owner, meeting=meeting, person=elected)
    synthesis = compute_synthesis(meeting)
    result = item_of(synthesis, item)
    assert result.total == 0
    assert result.arguments == {}
    assert {p.user_id for p in synthesis.participants} == {owner.pk}


def test_open_questions_follow_deletions_and_answers(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    elected, meeting = world.users["elected_invited"], world.meetings["private"]
    item = services.add_item(actor=owner, meeting=meeting, title="Terrain")
    add = social_services.add_comment
    answered = add(author=elected, item=item, body="Qui paie ?", is_question=True)
    answer = add(author=member, item=item, body="La région.", reply_to=answered)
    self_answered = add(author=elected, item=item, body="Quand ?", is_question=True)
    add(author=elected, item=item, body="Je précise : en mars ?", reply_to=self_answered)
    deleted = add(author=member, item=item, body="Et la voirie ?", is_question=True)
    add(author=owner, item=item, body="Simple remarque")
    social_services.delete_comment(actor=member, comment=deleted)

    def open_ids():
        return [q.comment_id for q in item_of(compute_synthesis(meeting), item).open_questions]

    # Answered by someone else: closed. Answered only by its author: still open.
    assert open_ids() == [self_answered.pk]
    # The answer is withdrawn: the question is open again.
    social_services.delete_comment(actor=member, comment=answer)
    assert open_ids() == [answered.pk, self_answered.pk]


def test_an_empty_item_and_the_organiser_text(world):
    owner, meeting = world.users["owner"], world.meetings["public"]
    item = services.add_item(actor=owner, meeting=meeting, title="Divers")
    result = item_of(compute_synthesis(meeting), item)
    assert result.total == 0
    assert result.arguments == {}
    assert result.open_questions == []
    assert result.files == []
    assert not result.uses_override
    services.edit_synthesis(actor=owner, item=item, text="Point reporté.")
    result = item_of(compute_synthesis(meeting), item)
    assert result.uses_override
    assert result.override_text == "Point reporté."


def test_files_and_preparation_status(world):
    owner, member = world.users["owner"], world.users["staff_member"]
    meeting = world.meetings["garage"]
    item = services.add_item(actor=owner, meeting=meeting, title="Plan")
    file = File.objects.create(owner=owner, name="plan.pdf")
    services.attach_file_to_item(actor=owner, item=item, file=file)
    services.set_opinion(actor=member, item=item, position="pour")
    services.mark_ready(actor=member, meeting=meeting)
    services.mark_agenda_read(actor=member, meeting=meeting)
    synthesis = compute_synthesis(meeting)
    assert [f.name for f in item_of(synthesis, item).files] == ["plan.pdf"]
    by_id = {p.user_id: p for p in synthesis.participants}
    assert by_id[member.pk].ready
    assert by_id[member.pk].prepared_item_ids == [item.pk]
    assert world.users["deactivated"].pk not in by_id  # a closed account is nobody
    assert {p.user_id for p in synthesis.not_ready} == {
        owner.pk,
        world.users["elected_invited"].pk,
        world.users["external_member"].pk,
    }
    assert member.pk not in {p.user_id for p in synthesis.not_read}


def fill(world, meeting, items: int) -> None:
    owner, member = world.users["owner"], world.users["staff_member"]
    elected = world.users["elected_invited"]
    for n in range(items):
        item = services.add_item(actor=owner, meeting=meeting, title=f"Point {n}")
        services.set_opinion(actor=member, item=item, position="pour", argument="Oui")
        services.set_opinion(actor=elected, item=item, position="contre", argument="Non")
        question = social_services.add_comment(
            author=elected, item=item, body="Pourquoi ?", is_question=True
        )
        social_services.add_comment(author=member, item=item, body="Parce que.", reply_to=question)
        social_services.add_comment(author=member, item=item, body="Et ?", is_question=True)
        file = File.objects.create(owner=owner, name=f"annexe-{n}.pdf")
        services.attach_file_to_item(actor=owner, item=item, file=file)
        services.add_decision(
            actor=owner, meeting=meeting, text=f"Décision {n}", owner=member, item=item
        )


def test_the_synthesis_costs_the_same_queries_whatever_the_agenda_size(
    world, django_assert_max_num_queries
):
    small, large = world.meetings["public"], world.meetings["private"]
    fill(world, small, 2)
    fill(world, large, 12)
    small.refresh_from_db()
    large.refresh_from_db()
    with CaptureQueriesContext(connection) as baseline:
        result = compute_synthesis(small)
    assert len(result.items) == 2
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        result = compute_synthesis(large)
    assert len(result.items) == 12
    assert all(i.counts["pour"] == 1 and i.counts["contre"] == 1 for i in result.items)
    assert all(len(i.open_questions) == 1 and len(i.files) == 1 for i in result.items)
    assert len(baseline.captured_queries) <= 8
