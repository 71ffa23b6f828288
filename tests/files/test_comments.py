"""A shared file's page has a thread: the social app's comments, with the file's rules."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from files import services as file_services
from social import policy, selectors
from social import services as social_services
from social.models import Reaction
from tests.files.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(staff, make_user):
    reader = make_user(handle="rachid", display_name="Rachid Lecteur")
    file = file_services.create_file(owner=staff, incoming=upload("plan.png", png_bytes()))
    file_services.share_to_person(actor=staff, file=file, person=reader)
    return file, reader


def test_readers_of_a_file_comment_mention_and_like(staff, shared):
    file, reader = shared
    comment = social_services.add_comment(author=reader, file=file, body="Merci @" + staff.handle)
    assert list(comment.mentions.all()) == [staff]
    social_services.react(actor=staff, comment=comment)
    [listed] = selectors.thread(staff, file.comments.all())
    assert (listed.like_count, listed.liked) == (1, True)
    assert Reaction.objects.filter(comment=comment).count() == 1


def test_mentioning_someone_who_cannot_see_the_file_is_refused(staff, shared, make_user):
    file, _reader = shared
    make_user(handle="sacha")
    with pytest.raises(ValidationError, match="@sacha ne peut pas voir ce fichier"):
        social_services.add_comment(author=staff, file=file, body="Qu'en pense @sacha ?")
    assert not file.comments.exists()


def test_people_without_access_cannot_comment(shared, make_user, citizen):
    file, _reader = shared
    for person in (make_user(), citizen):
        with pytest.raises(PermissionDenied):
            social_services.add_comment(author=person, file=file, body="Bonjour")
    assert not file.comments.exists()


def test_the_owner_moderates_and_authors_edit_while_they_still_have_access(staff, shared):
    file, reader = shared
    comment = social_services.add_comment(author=reader, file=file, body="Première remarque")
    assert policy.can_edit_comment(reader, comment)
    assert not policy.can_edit_comment(staff, comment)
    assert policy.can_delete_comment(staff, comment)
    file_services.remove_share(actor=staff, share=file.shares.get(user=reader))
    comment.refresh_from_db()
    assert not policy.can_edit_comment(reader, comment)
    assert not policy.can_delete_comment(reader, comment)
    social_services.delete_comment(actor=staff, comment=comment)
    comment.refresh_from_db()
    assert comment.is_deleted


def test_a_file_thread_has_no_best_answer(staff, shared):
    file, reader = shared
    comment = social_services.add_comment(author=reader, file=file, body="Réponse")
    with pytest.raises(PermissionDenied):
        social_services.choose_best_answer(actor=staff, comment=comment)


def test_a_deleted_file_closes_its_thread(staff, shared):
    file, reader = shared
    comment = social_services.add_comment(author=reader, file=file, body="Réponse")
    file_services.delete_file(actor=staff, file=file)
    file.refresh_from_db()
    comment.refresh_from_db()
    with pytest.raises(PermissionDenied):
        social_services.add_comment(author=staff, file=file, body="Encore")
    with pytest.raises(PermissionDenied):
        social_services.react(actor=staff, comment=comment)
