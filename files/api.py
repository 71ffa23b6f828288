"""API routes of the files app: chunked uploads, files, versions, shares, comments, downloads."""

from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    QuerySet,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File as FilePart
from ninja import Form, Path, Query, Router, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.throttling import SimpleRateThrottle

from accounts.models import User
from accounts.selectors import get_person_for
from config.pagination import Pagination
from files import downloads, policy, selectors, services
from files.models import DESCRIPTION_MAX_LENGTH, File, FileShare, FileVersion, Upload
from files.schemas import (
    NAME_INPUT_MAX_LENGTH,
    FileErrorOut,
    FileOut,
    FilePatch,
    ShareGroupIn,
    ShareIn,
    ShareOut,
    SharePostIn,
    UploadConflictOut,
    UploadIn,
    UploadOut,
    VersionOut,
)
from groups.selectors import get_group_for
from social import policy as social_policy
from social import selectors as social_selectors
from social import services as social_services
from social.models import Post
from social.schemas import MAX_ID, SLUG, SLUG_MAX_LENGTH, CommentIn, CommentOut

router = Router(tags=["files"])

FileId = Annotated[int, Path(ge=1, le=MAX_ID)]
UploadId = Annotated[UUID, Path(description="L'identifiant rendu par POST /uploads")]
VersionNumber = Annotated[
    int, Query(ge=1, le=2**31 - 1, description="Une version précédente (la courante sinon)")
]
Search = Annotated[str, Query(max_length=selectors.Q_MAX_LENGTH, description="Nom ou description")]
SLUG_RULES = {"min_length": 1, "max_length": SLUG_MAX_LENGTH, "pattern": SLUG}
ID_RULES = {"ge": 1, "le": MAX_ID}
# Optional form fields are text, and empty ones (as browsers send them) mean « none ».
OPTIONAL_UUID = r"^([0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})?$"
OPTIONAL_SLUG = r"^[-a-zA-Z0-9_]*$"
OPTIONAL_ID = r"^([1-9][0-9]{0,18})?$"
# Optional parameters are typed without `None` so that the schema offers no `null` to send.
FileField = Annotated[UploadedFile, FilePart(description="Le fichier, envoyé en une fois")]
UploadField = Annotated[
    str, Form(pattern=OPTIONAL_UUID, max_length=36, description="Un envoi par morceaux terminé")
]
NameField = Annotated[
    str, Form(max_length=NAME_INPUT_MAX_LENGTH, description="Vide : le nom du fichier envoyé")
]
GroupField = Annotated[
    str,
    Form(pattern=OPTIONAL_SLUG, max_length=SLUG_MAX_LENGTH, description="Partager à ce groupe"),
]
PostField = Annotated[
    str, Form(pattern=OPTIONAL_ID, max_length=19, description="Joindre à sa publication")
]
GroupFilter = Annotated[str, Query(description="Partagés à ce groupe (son adresse)", **SLUG_RULES)]
GroupQuery = Annotated[str, Query(description="Le groupe (son adresse)", **SLUG_RULES)]
PostQuery = Annotated[int, Query(description="La publication", **ID_RULES)]
UserQuery = Annotated[int, Query(description="La personne", **ID_RULES)]

# Schemathesis and client generators read these: which bodies and answers are files, not JSON.
BINARY = {"type": "string", "format": "binary"}
FILE_RESPONSES = {
    "responses": {
        200: {"description": "Le contenu du fichier", "content": {"*/*": {"schema": BINARY}}},
        206: {
            "description": "Une partie du contenu (en-tête Range)",
            "content": {"*/*": {"schema": BINARY}},
        },
        302: {"description": "Vers un lien signé, sur l'origine de téléchargement configurée"},
        304: {"description": "Inchangé (If-None-Match)"},
        416: {"description": "Plage demandée hors du fichier"},
    }
}


class ChunkRateThrottle(SimpleRateThrottle):
    """Chunks have their own budget: ten times API_RATE_LIMIT per person.

    A 1 GiB file is 128 chunks of 8 MiB, and a page sends several files at once: counted with
    the other API calls, one big upload would exhaust the budget for everything else. Each
    chunk must also land at its upload's `received` offset, for an upload admitted (size,
    quota) by the ordinary, throttled POST /uploads, so the budget only stops floods of tiny
    or misplaced chunks. Read at each request, like the general limit, and off with it.
    """

    scope = "files_chunks"
    FACTOR = 10

    def __init__(self) -> None:
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        if not settings.API_RATE_LIMIT:
            return True
        count, self.duration = self.parse_rate(settings.API_RATE_LIMIT)
        self.num_requests = count * self.FACTOR
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str:
        return f"throttle_files_chunks_{request.auth.pk}"


# --- Lookups ------------------------------------------------------------------------------


def _file(request: HttpRequest, file_id: int) -> File:
    """The file if the viewer may see it; 404 alike for missing, deleted and forbidden."""
    return selectors.get_file_for(request.auth, file_id)


def _upload(request: HttpRequest, upload_id: UUID) -> Upload:
    """One's own upload in progress; anyone else's is as unknown as a missing one."""
    upload = Upload.objects.filter(pk=upload_id, user=request.auth).first()
    if upload is None:
        raise Http404
    return upload


def _post(viewer: User, post_id: int) -> Post:
    """A live post the viewer may read; 404 alike for missing and forbidden."""
    if post_id > MAX_ID:
        raise Http404
    post = social_policy.visible_posts(viewer).filter(pk=post_id, deleted_at__isnull=True).first()
    if post is None:
        raise Http404
    return post


def _incoming(request: HttpRequest, file: UploadedFile | None, upload: str | None):
    """The bytes of the request: its file, or a finished upload. Exactly one of them."""
    pending = _upload(request, UUID(upload)) if upload else None
    if (file is None) == (pending is None):
        raise ValidationError(
            {
                "file": _(
                    "Joignez un fichier (« file ») ou indiquez un envoi terminé (« upload ») : "
                    "l'un ou l'autre, pas les deux."
                )
            }
        )
    if file is not None:
        return None, services.from_upload(file)
    return pending, services.completed_upload(user=request.auth, upload=pending)


FORM_FIELDS = ("file", "upload", "name", "description", "group", "post")


def _single_values(request: HttpRequest) -> None:
    """A field given twice is refused, rather than one of its values silently kept (other
    fields are ignored, as in every form)."""
    repeated = [
        key
        for key in FORM_FIELDS
        if len(request.POST.getlist(key)) + len(request.FILES.getlist(key)) > 1
    ]
    if repeated:
        raise HttpError(
            422,
            _("Chaque champ n'est attendu qu'une fois : %(fields)s.")
            % {"fields": ", ".join(sorted(set(repeated)))},
        )


def _with_bytes(request: HttpRequest, file, upload, write):
    """Run `write(incoming)`; a chunked upload is forgotten afterwards, stored or refused."""
    pending, incoming = _incoming(request, file, upload)
    try:
        return write(incoming)
    finally:
        if pending is not None:
            services.finish_upload(pending, incoming)


# --- Uploads in chunks --------------------------------------------------------------------


@router.post("/uploads", response={201: UploadOut})
def start_upload(request: HttpRequest, payload: UploadIn) -> Status:
    """Announce a file (name and size), then send it in chunks with PUT /uploads/{id}.

    A file over the size limit or the quota is refused here, before any byte travels.
    """
    upload = services.start_upload(user=request.auth, name=payload.name, size=payload.size)
    return Status(201, upload)


@router.get("/uploads/{upload_id}", response=UploadOut)
def get_upload(request: HttpRequest, upload_id: UploadId) -> Upload:
    """Where an upload stands, to resume it after an interruption."""
    return _upload(request, upload_id)


@router.put(
    "/uploads/{upload_id}",
    response={200: UploadOut, 409: UploadConflictOut, 411: FileErrorOut, 413: FileErrorOut},
    throttle=[ChunkRateThrottle()],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {
                    "schema": {**BINARY, "minLength": 1, "maxLength": settings.FILES_CHUNK_SIZE}
                }
            },
        }
    },
)
def send_chunk(
    request: HttpRequest,
    upload_id: UploadId,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Octets déjà reçus")],
) -> Status | Upload:
    """One chunk, as the raw request body, at `offset` (the upload's `received`).

    A chunk sent at the wrong place gets a 409 telling where to resume. The body is read as
    a stream, never whole into memory.
    """
    upload = _upload(request, upload_id)
    try:
        length = int(request.META["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return Status(411, {"detail": _("Indiquez la longueur du morceau (Content-Length).")})
    try:
        return services.receive_chunk(
            user=request.auth, upload=upload, offset=offset, stream=request, length=length
        )
    except ValidationError as error:
        code = getattr(error, "code", None)
        if code == "offset":
            received = Upload.objects.filter(pk=upload.pk).values_list("received", flat=True)
            return Status(409, {"detail": error.messages[0], "received": received.first() or 0})
        if code == "chunk_too_large":
            return Status(413, {"detail": error.messages[0]})
        raise


@router.delete("/uploads/{upload_id}", response={204: None})
def cancel_upload(request: HttpRequest, upload_id: UploadId) -> Status:
    """Give up an upload: what was received is removed at once."""
    services.cancel_upload(user=request.auth, upload=_upload(request, upload_id))
    return Status(204, None)


# --- Files --------------------------------------------------------------------------------


@router.get("/files", response=list[FileOut])
@paginate(Pagination)
def list_files(
    request: HttpRequest,
    q: Search = "",
    group: GroupFilter = None,
    scope: Annotated[
        Literal["all", "mine", "shared"],
        Query(description="all : visibles ; mine : les miens ; shared : partagés avec moi"),
    ] = "all",
    order: Annotated[
        Literal["recent", "name"], Query(description="recent (par défaut) ou name")
    ] = "recent",
) -> QuerySet[File]:
    viewer = request.auth
    if scope == "mine":
        files = selectors.owned_by(viewer, q=q, order=order)
    elif scope == "shared":
        files = selectors.shared_with(viewer, q=q, order=order)
    else:
        files = selectors.visible(viewer, q=q, order=order)
    if group is not None:
        files = files.filter(shares__group=get_group_for(viewer, group))
    return policy.with_rights(viewer, files)


@router.post("/files", response={201: FileOut})
def create_file(
    request: HttpRequest,
    file: FileField = None,
    upload: UploadField = None,
    name: NameField = None,
    description: Annotated[str, Form(max_length=DESCRIPTION_MAX_LENGTH)] = "",
    group: GroupField = None,
    post: PostField = None,
) -> Status:
    """A new file, from the request (`file`) or from a finished upload (`upload`).

    Optionally shared at once to a group (`group`, its slug) or attached to one's post.
    """
    _single_values(request)
    viewer = request.auth
    where = {
        "group": get_group_for(viewer, group) if group else None,
        "post": _post(viewer, int(post)) if post else None,
    }
    created = _with_bytes(
        request,
        file,
        upload,
        lambda incoming: services.create_file(
            owner=viewer, incoming=incoming, name=name or None, description=description, **where
        ),
    )
    return Status(201, _file(request, created.pk))


@router.get("/files/{file_id}", response=FileOut, url_name="file")
def get_file(request: HttpRequest, file_id: FileId) -> File:
    return _file(request, file_id)


@router.patch("/files/{file_id}", response=FileOut)
def update_file(request: HttpRequest, file_id: FileId, payload: FilePatch) -> File:
    """Rename the file or change its description (owner, and members of its groups)."""
    services.update_file(
        actor=request.auth, file=_file(request, file_id), **payload.model_dump(exclude_unset=True)
    )
    return _file(request, file_id)


@router.delete("/files/{file_id}", response={204: None})
def delete_file(request: HttpRequest, file_id: FileId) -> Status:
    """Gone at once for everyone; the bytes are purged after the retention period."""
    services.delete_file(actor=request.auth, file=_file(request, file_id))
    return Status(204, None)


# --- Downloads ----------------------------------------------------------------------------


@router.get("/files/{file_id}/download", url_name="file_download", openapi_extra=FILE_RESPONSES)
def download(
    request: HttpRequest,
    file_id: FileId,
    version: VersionNumber = None,
    attachment: Annotated[
        bool, Query(description="Toujours en pièce jointe, même une image")
    ] = False,
) -> HttpResponse:
    """The bytes, checked against the policy at every request; supports Range."""
    file = _file(request, file_id)
    found = selectors.version_of(file, version)
    return downloads.serve(
        request, found, name=downloads.download_name(file, found), attachment=attachment
    )


@router.get(
    "/files/{file_id}/thumbnail",
    url_name="file_thumbnail",
    openapi_extra={
        "responses": {
            200: {"description": "Aperçu WebP", "content": {"image/webp": {"schema": BINARY}}}
        }
    },
)
def thumbnail(request: HttpRequest, file_id: FileId, version: VersionNumber = None) -> HttpResponse:
    """The preview image of the current version (or of `version`); 404 when it has none."""
    found = selectors.version_of(_file(request, file_id), version)
    if found.preview != FileVersion.Preview.READY or not found.thumbnail:
        raise Http404
    return downloads.serve_thumbnail(found)


# --- Versions -----------------------------------------------------------------------------


@router.get("/files/{file_id}/versions", response=list[VersionOut])
@paginate(Pagination)
def versions(request: HttpRequest, file_id: FileId) -> list[FileVersion]:
    """Every version, newest first; all of them stay downloadable."""
    return selectors.versions_of(_file(request, file_id))


@router.post("/files/{file_id}/versions", response={201: VersionOut})
def add_version(
    request: HttpRequest,
    file_id: FileId,
    file: FileField = None,
    upload: UploadField = None,
) -> Status:
    """A new current version (owner, and members of a group the file is shared to)."""
    _single_values(request)
    shared = _file(request, file_id)
    version = _with_bytes(
        request,
        file,
        upload,
        lambda incoming: services.add_version(actor=request.auth, file=shared, incoming=incoming),
    )
    version.file = shared
    return Status(201, version)


# --- Shares -------------------------------------------------------------------------------


@router.get("/files/{file_id}/shares", response=list[ShareOut])
@paginate(Pagination)
def shares(request: HttpRequest, file_id: FileId) -> list[FileShare]:
    """Where the file is shared, as far as the viewer may see the targets."""
    return selectors.shares_of(request.auth, _file(request, file_id))


@router.post("/files/{file_id}/shares", response={200: ShareOut, 201: ShareOut})
def share(request: HttpRequest, file_id: FileId, payload: ShareIn) -> Status:
    """Share to a group (`group`, its slug), a post of one's own (`post`) or a person (`user`).

    A target the sharer cannot see is a 404; one they see but may not share to, a 403.
    Sharing again where the file already is answers 200 with the existing share.
    """
    viewer, file = request.auth, _file(request, file_id)
    if isinstance(payload, ShareGroupIn):
        target = {"group": get_group_for(viewer, payload.group)}
        write = services.share_to_group
    elif isinstance(payload, SharePostIn):
        target = {"post": _post(viewer, payload.post)}
        write = services.share_to_post
    else:
        target = {"person": get_person_for(viewer, payload.user)}
        write = services.share_to_person
    [(kind, value)] = target.items()
    existed = file.shares.filter(**{"user" if kind == "person" else kind: value}).exists()
    done = write(actor=viewer, file=file, **target)
    done = FileShare.objects.select_related("group", "user", "shared_by").get(pk=done.pk)
    return Status(200 if existed else 201, done)


@router.delete("/files/{file_id}/shares", response={204: None, 404: FileErrorOut})
def unshare(
    request: HttpRequest,
    file_id: FileId,
    group: GroupQuery = None,
    post: PostQuery = None,
    user: UserQuery = None,
) -> Status:
    """Remove one share (`group`, `post` or `user`): access goes at once.

    The owner removes any share; a group's manager, their group's; a person, their own.
    """
    given = {"group__slug": group, "post_id": post, "user_id": user}
    given = {key: value for key, value in given.items() if value is not None}
    if len(given) != 1:
        # Named by its target, a share is found by exactly one of them: no other names one.
        detail = _("Indiquez le partage à retirer par un seul de « group », « post » ou « user ».")
        return Status(404, {"detail": detail})
    file = _file(request, file_id)
    found = (
        policy.visible_shares(request.auth, file).select_related("file", "group").filter(**given)
    ).first()
    if found is None:
        raise Http404
    services.remove_share(actor=request.auth, share=found)
    return Status(204, None)


# --- Comments -----------------------------------------------------------------------------


@router.get("/files/{file_id}/comments", response=list[CommentOut])
@paginate(Pagination)
def comments(request: HttpRequest, file_id: FileId) -> list:
    """The file's thread, oldest first (the social app's comments)."""
    file = _file(request, file_id)
    return social_selectors.thread(request.auth, file.comments.all())


@router.post("/files/{file_id}/comments", response={201: CommentOut})
def add_comment(request: HttpRequest, file_id: FileId, payload: CommentIn) -> Status:
    comment = social_services.add_comment(
        author=request.auth, file=_file(request, file_id), body=payload.body
    )
    comment.like_count, comment.liked = 0, False
    return Status(201, comment)
