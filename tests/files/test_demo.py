"""The demo's shared files: idempotent like the rest of the demo, previewed, and held to the
same policy as everything else (a start-up member sees only Le Garage's files)."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_DOMAIN
from accounts.models import User
from files import policy, selectors
from files.demo import FILES
from files.models import File, FileShare, FileVersion, Upload
from social.demo import FOIRE, GARAGE, ROYEUX
from tests.files.conftest import stored_blobs
from tests.social.test_demo import COUNTED

pytestmark = pytest.mark.django_db

COUNTED_WITH_FILES = [*COUNTED, File, FileVersion, FileShare, Upload]


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_WITH_FILES}


def _person(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


def _names(user: User) -> set[str]:
    return set(selectors.visible(user).values_list("name", flat=True))


@pytest.fixture
def demo() -> str:
    return _load()


def test_loading_the_demo_twice_gives_the_same_files(demo, file_storage):
    first, blobs = _counts(), stored_blobs(file_storage)
    output = _load()
    assert _counts() == first
    assert stored_blobs(file_storage) == blobs  # nothing written twice
    assert first["File"] == len(FILES)
    assert first["FileVersion"] == sum(len(spec.versions) for spec in FILES)
    assert f"Demo files: {len(FILES)} ({len(FILES)} new)" in demo
    assert f"Demo files: {len(FILES)} (0 new)" in output


def test_demo_files_are_previewed_and_their_blobs_exist(demo, file_storage):
    versions = FileVersion.objects.all()
    for version in versions:
        assert (file_storage / version.blob).is_file()
        if version.mime_type.startswith("image/") or version.mime_type == "application/pdf":
            assert version.preview == FileVersion.Preview.READY, version
            assert (file_storage / version.thumbnail).is_file()
        else:
            assert version.preview == FileVersion.Preview.NONE, version
    kinds = set(versions.values_list("mime_type", flat=True))
    assert {"image/png", "application/pdf"} <= kinds


def test_the_demo_shows_versions_attachments_person_shares_and_comments(demo):
    two_versions = File.objects.get(name__startswith="Plan du stand")
    uploaders = {v.uploaded_by.handle for v in two_versions.versions.all()}
    assert len(uploaders) == 2
    assert two_versions.current_version.number == 2
    attached = FileShare.objects.get(post__isnull=False)
    assert attached.post.group.slug == FOIRE
    assert attached.file.owner == attached.post.author
    by_name = FileShare.objects.get(user__isnull=False)
    assert by_name.user.handle == "agent3"
    assert File.objects.filter(comments__isnull=False).distinct().count() >= 2
    assert {s.group.slug for s in FileShare.objects.filter(group__isnull=False)} == {
        FOIRE,
        ROYEUX,
        GARAGE,
    }


def test_demo_files_follow_the_policy(demo):
    startup2, agent3 = _person("startup2"), _person("agent3")
    garage = {spec.name for spec in FILES if spec.group == GARAGE}
    assert _names(startup2) == garage  # not the agency's groups, not a founder's budget
    budget = File.objects.get(name__startswith="Budget prévisionnel")
    assert policy.can_view_file(agent3, budget)  # shared with her by name
    assert not policy.can_view_file(startup2, budget)
    royeux = {spec.name for spec in FILES if spec.group == ROYEUX}
    assert royeux <= _names(_person("elu1"))
    assert not royeux & _names(_person("agent4"))  # only asked to join the Royeux group
    assert not _names(_person("citoyen1"))
