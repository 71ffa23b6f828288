"""Reads on shared files, already filtered by policy, at a constant number of queries."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from files import policy
from files.models import File, FileShare, FileVersion
from groups.models import Group
from social.models import Post

Q_MAX_LENGTH = 100
ORDERS = {"recent": ("-updated_at", "-id"), "name": ("name", "id")}


def _listed(files: QuerySet[File]) -> QuerySet[File]:
    return files.select_related("owner", "current_version__uploaded_by")


def _searched(files: QuerySet[File], q: str, order: str) -> QuerySet[File]:
    q = (q or "").replace("\x00", "").strip()[:Q_MAX_LENGTH]
    if q:
        files = files.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return files.order_by(*ORDERS.get(order, ORDERS["recent"]))


def visible(viewer: User, *, q: str = "", group: Group | None = None, order: str = "recent"):
    """Files `viewer` may see, optionally only those shared to `group`."""
    files = policy.visible_files(viewer)
    if group is not None:
        files = files.filter(shares__group=group)
    return _listed(_searched(files, q, order))


def owned_by(viewer: User, *, q: str = "", order: str = "recent") -> QuerySet[File]:
    return _listed(_searched(policy.visible_files(viewer).filter(owner=viewer), q, order))


def shared_with(viewer: User, *, q: str = "", order: str = "recent") -> QuerySet[File]:
    """Files shared with `viewer` by name."""
    files = policy.visible_files(viewer).filter(shares__user=viewer).exclude(owner=viewer)
    return _listed(_searched(files, q, order))


def get_file_for(viewer: User, file_id: int) -> File:
    """A file `viewer` may see; 404 for anything else, unknown and forbidden alike."""
    try:
        return _listed(policy.visible_files(viewer)).get(pk=file_id)
    except (File.DoesNotExist, ValueError, OverflowError, TypeError):
        raise Http404 from None


def versions_of(file: File) -> list[FileVersion]:
    return list(file.versions.select_related("uploaded_by").order_by("-number"))


def version_of(file: File, number: int | None) -> FileVersion:
    if number is None:
        if file.current_version is None:
            raise Http404
        return file.current_version
    try:
        return file.versions.get(number=number)
    except (FileVersion.DoesNotExist, ValueError, OverflowError, TypeError):
        raise Http404 from None


def shares_of(viewer: User, file: File) -> list[FileShare]:
    return list(
        policy.visible_shares(viewer, file).select_related(
            "group", "post__group", "user", "shared_by"
        )
    )


def group_storage(group: Group) -> int:
    """Bytes of every version of the live files shared to `group`."""
    return (
        FileVersion.objects.filter(
            file__in=File.objects.filter(deleted_at__isnull=True, shares__group=group)
        ).aggregate(total=Sum("size"))["total"]
        or 0
    )


def attachments_for(viewer: User, posts: list[Post]) -> dict[int, list[File]]:
    """Files attached to these posts that `viewer` may see, by post id: one query."""
    ids = [p.pk for p in posts]
    if not ids or not policy.can_have_files(viewer):
        return {}
    shares = (
        FileShare.objects.filter(post_id__in=ids, file__deleted_at__isnull=True)
        .select_related("file__current_version")
        .order_by("created_at", "id")
    )
    attached: dict[int, list[File]] = {}
    for share in shares:
        attached.setdefault(share.post_id, []).append(share.file)
    return attached


ATTACHMENTS_MAX = 10


def attachable_files(author: User, ids: list[int]) -> list[File]:
    """The files `author` attaches to a post or a message, in the order given: only their own
    live files; any other id is refused, and nothing is attached."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    if len(ids) > ATTACHMENTS_MAX:
        raise ValidationError(
            {"attachments": _("Joignez %(max)s fichiers au plus.") % {"max": ATTACHMENTS_MAX}}
        )
    found = owned_by(author).filter(pk__in=ids).in_bulk()
    if len(found) != len(ids):
        raise ValidationError(
            {
                "attachments": _(
                    "Un fichier joint n’existe pas ou ne vous appartient pas : vous ne pouvez "
                    "joindre que vos propres fichiers."
                )
            }
        )
    return [found[i] for i in ids]
