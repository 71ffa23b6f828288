"""Purging: a deleted file leaves storage and the database once its retention period is over
(every version, every thumbnail, its shares, its comments); abandoned uploads and stray
staging files go too. `purge_files` is what cron or Celery beat runs."""

import os
import time
import uuid
from datetime import timedelta
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from files import previews, services, tasks
from files.models import File, FileShare, FileVersion, Upload
from social import services as social_services
from social.models import Comment, Reaction
from tests.factories import GroupFactory
from tests.files.conftest import jpeg_bytes, pdf_bytes, png_bytes, stored_blobs, upload

pytestmark = pytest.mark.django_db


def purge() -> str:
    out = StringIO()
    call_command("purge_files", stdout=out)
    return out.getvalue()


def deleted_days_ago(actor, file: File, days: float) -> File:
    services.delete_file(actor=actor, file=file)
    File.objects.filter(pk=file.pk).update(deleted_at=timezone.now() - timedelta(days=days))
    return file


def keys_of(file: File) -> list[str]:
    return [
        key
        for version in FileVersion.objects.filter(file=file)
        for key in (version.blob, version.thumbnail)
        if key
    ]


@pytest.fixture
def busy_file(staff, elected, make_file):
    """Two versions with thumbnails, shared to a group and a person, with a liked comment."""
    group = GroupFactory(created_by=staff)
    file = make_file(staff, "plan.png", png_bytes(size=(300, 200)), group=group)
    previews.make_preview(file.current_version)
    version = services.add_version(
        actor=staff, file=file, incoming=upload("plan.jpg", jpeg_bytes())
    )
    previews.make_preview(version)
    services.share_to_person(actor=staff, file=file, person=elected)
    comment = social_services.add_comment(author=elected, body="Le lot 9 est réservé ?", file=file)
    social_services.react(actor=staff, comment=comment, kind=Reaction.Kind.LIKE)
    return file


def test_a_file_deleted_past_the_retention_period_leaves_no_trace(
    staff, busy_file, file_storage, settings
):
    keys = keys_of(busy_file)
    assert len(keys) == 4  # two blobs, two thumbnails
    assert all((file_storage / key).is_file() for key in keys)
    deleted_days_ago(staff, busy_file, settings.FILES_RETENTION_DAYS + 1)

    output = purge()

    assert "1 deleted file(s) purged" in output
    assert stored_blobs(file_storage) == []
    assert not File.objects.exists()
    assert not FileVersion.objects.exists()
    assert not FileShare.objects.exists()
    assert not Comment.objects.exists()
    assert not Reaction.objects.exists()


def test_a_file_deleted_within_the_retention_period_stays(staff, busy_file, file_storage, settings):
    keys = keys_of(busy_file)
    deleted_days_ago(staff, busy_file, settings.FILES_RETENTION_DAYS - 1)

    output = purge()

    assert "0 deleted file(s) purged" in output
    assert all((file_storage / key).is_file() for key in keys)
    assert FileVersion.objects.filter(file=busy_file).count() == 2
    assert Comment.objects.filter(file=busy_file).count() == 1


def test_the_retention_period_is_configurable(staff, make_file, file_storage, settings):
    settings.FILES_RETENTION_DAYS = 7
    gone = deleted_days_ago(staff, make_file(staff, "ancien.pdf", pdf_bytes()), 8)
    kept = deleted_days_ago(staff, make_file(staff, "recent.pdf", pdf_bytes()), 6)

    assert "1 deleted file(s) purged" in purge()
    assert not File.objects.filter(pk=gone.pk).exists()
    assert File.objects.filter(pk=kept.pk).exists()
    assert len(stored_blobs(file_storage)) == 1


def test_live_files_are_never_purged(staff, make_file, file_storage):
    live = make_file(staff, "plan.png")
    File.objects.filter(pk=live.pk).update(created_at=timezone.now() - timedelta(days=400))
    purge()
    assert File.objects.filter(pk=live.pk).exists()
    assert (file_storage / live.current_version.blob).is_file()


def test_a_purge_cut_short_finishes_the_next_time(staff, busy_file, file_storage, settings):
    first_key = keys_of(busy_file)[0]
    deleted_days_ago(staff, busy_file, settings.FILES_RETENTION_DAYS + 1)
    (file_storage / first_key).unlink()  # an earlier run died after removing this blob

    assert "1 deleted file(s) purged" in purge()
    assert stored_blobs(file_storage) == []
    assert not File.objects.exists()


def test_a_second_purge_finds_nothing_to_do(staff, busy_file, settings):
    deleted_days_ago(staff, busy_file, settings.FILES_RETENTION_DAYS + 1)
    purge()
    assert purge().startswith("0 deleted file(s) purged, 0 abandoned upload(s) removed")


# --- Uploads in progress -----------------------------------------------------------------------


def start(user, data: bytes, *, hours_ago: float = 0) -> Upload:
    """An upload whose last chunk arrived `hours_ago` hours ago."""
    started = services.start_upload(user=user, name="dossier.pdf", size=len(data) * 2)
    services.receive_chunk(
        user=user, upload=started, offset=0, stream=BytesIO(data), length=len(data)
    )
    then = timezone.now() - timedelta(hours=hours_ago)
    Upload.objects.filter(pk=started.pk).update(created_at=then, touched_at=then)
    return Upload.objects.get(pk=started.pk)


def test_abandoned_uploads_are_removed_with_their_staging_file(staff, settings):
    ttl = settings.FILES_UPLOAD_TTL_HOURS
    abandoned = start(staff, pdf_bytes(), hours_ago=ttl + 1)
    in_progress = start(staff, pdf_bytes(), hours_ago=ttl - 1)
    assert abandoned.staging_path.stat().st_size > 0

    output = purge()

    assert "1 abandoned upload(s) removed" in output
    assert not Upload.objects.filter(pk=abandoned.pk).exists()
    assert not abandoned.staging_path.exists()
    assert Upload.objects.filter(pk=in_progress.pk).exists()
    assert in_progress.staging_path.stat().st_size == len(pdf_bytes())


def test_a_long_upload_still_receiving_chunks_is_kept(staff, settings):
    data = pdf_bytes()
    started = services.start_upload(user=staff, name="gros.pdf", size=len(data) * 2)
    then = timezone.now() - timedelta(hours=settings.FILES_UPLOAD_TTL_HOURS + 5)
    Upload.objects.filter(pk=started.pk).update(created_at=then, touched_at=then)
    services.receive_chunk(
        user=staff, upload=started, offset=0, stream=BytesIO(data), length=len(data)
    )
    assert "0 abandoned upload(s) removed" in purge()
    assert Upload.objects.filter(pk=started.pk).exists()


def test_stray_staging_files_are_removed_once_old(staff, settings):
    staging = settings.FILES_STAGING_DIR
    old, recent = staging / f"{uuid.uuid4().hex}.part", staging / f"{uuid.uuid4().hex}.part"
    for stray in (old, recent):
        stray.write_bytes(b"%PDF-1.4 half of something")
    long_ago = time.time() - (settings.FILES_UPLOAD_TTL_HOURS + 1) * 3600
    os.utime(old, (long_ago, long_ago))
    kept = start(staff, pdf_bytes(), hours_ago=0)
    os.utime(kept.staging_path, (long_ago, long_ago))  # quiet for long, but its row is young

    purge()

    assert not old.exists()
    assert recent.exists()  # perhaps an upload whose row is being written right now
    assert kept.staging_path.exists()
    assert Upload.objects.filter(pk=kept.pk).exists()


def test_the_command_says_what_it_removed(staff, make_file, settings):
    ttl, days = settings.FILES_UPLOAD_TTL_HOURS, settings.FILES_RETENTION_DAYS
    for name in ("a.pdf", "b.pdf"):
        deleted_days_ago(staff, make_file(staff, name, pdf_bytes()), days + 2)
    for _ in range(3):
        start(staff, pdf_bytes(), hours_ago=ttl + 2)

    assert purge().strip() == "2 deleted file(s) purged, 3 abandoned upload(s) removed."


def test_celery_beat_can_run_the_purge(staff, busy_file, file_storage, settings):
    deleted_days_ago(staff, busy_file, settings.FILES_RETENTION_DAYS + 1)
    abandoned = start(staff, pdf_bytes(), hours_ago=settings.FILES_UPLOAD_TTL_HOURS + 1)
    tasks.purge_files.delay()  # inline in tests, as without a broker
    assert not File.objects.exists()
    assert not Upload.objects.filter(pk=abandoned.pk).exists()
    assert stored_blobs(file_storage) == []
