"""Anonymous visitors and citizens against EVERY internal path: pages, API and the socket.

Citizens sign up by themselves and are the least trusted users: they see consultation spaces
and their own account, nothing of groups, posts, files, people, meetings or messages. The
routes are not listed by hand: they come from the URL resolver and from the API's operations,
so a new internal route is tested the day it appears, and a route of a new app fails
`test_every_route_is_classified` until someone decides who may open it.

What each row of the matrix expects:
- anonymous visitors: pages send them to the sign-in page, the API answers 401;
- citizens: pages answer 404, every operation of the workspace's API answers 404
  « Introuvable. » whatever its method, parameters or body (config.api_auth refuses them
  before anything is read), no answer ever contains a word of the internal objects, and a
  write changes nothing. Refusals of pages that come before any object is looked up are
  accepted because they answer the same for every id: 405 for a POST-only page opened with
  GET, 403 on the few pages that name no object (a feature citizens do not have). Each such
  refusal is checked to answer exactly as it does for an unknown id;
- staff, as a contrast: the same addresses answer (the objects exist, the 404s are policy).
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from config.api import api
from consultations import services as consultation_services
from files import services as file_services
from files.models import FileShare
from files.tasks import make_preview
from groups import services as group_services
from groups.models import Group, JoinRequest, Membership
from meetings import services as meeting_services
from messaging import services as message_services
from social import services as social_services
from social.models import Topic
from tests.factories import GroupFactory, UserFactory
from tests.files.conftest import png_bytes, upload
from tests.realtime.test_socket import communicator, run

# Every internal object below carries this word; no answer to a citizen may contain it.
SECRET = "secretinterne"
TOPIC = "sujetsecret"
NOT_FOUND = {"detail": "Introuvable."}
LOGIN = "/compte/login/"

# --- Classification: who may open each route -------------------------------------------------

# Apps whose every page and API operation is internal (agency staff, elected, externals).
INTERNAL_MODULES = ("groups.", "social.", "files.", "messaging.", "meetings.")
# Pages open to everyone, signed in or not.
PUBLIC_PAGES = {
    "privacy",
    "accessibility",
    "set_language",
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_email_verification_sent",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_confirm_login_code",
    "mfa_authenticate",
    "config.views.api_not_found",  # unnamed: /api/… outside /api/v1/
}
# One's own account, whatever its kind: sign-in settings, profile, tokens, « Mes données »,
# and the home page (a citizen's home shows no feed, checked below).
OWN_ACCOUNT_PAGES = {
    "home",
    "account_reauthenticate",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "usersessions_list",
    "accounts:edit_profile",
    "accounts:tokens",
    "accounts:revoke_token",
    "accounts:my_data",
    "accounts:my_data_json",
    "accounts:delete_account",
}
# Internal pages of accounts (the directory), listed by name: accounts also has own pages.
INTERNAL_PAGES = {"accounts:directory", "accounts:profile", "accounts:avatar"}
# Opened by a secret in the address, signed in or not: an unknown secret is a 404.
TOKEN_PAGES = {"groups:invitation", "files:link", "meetings:calendar_feed"}
# Consultation pages (issue 7), by name in the namespace « consultations »:
# "public": anyone reads them (published contributions, their photos, open data once closed);
# "participate": signed-in citizens and staff write there (anonymous: sign in first);
# "own": one's own requests; "staff": moderation, triage, the brief, management (404 to
# citizens; the brief is for elected officials too).
CONSULTATION_PAGES: dict[str, str] = {
    "list": "public",
    "detail": "public",
    "contribution": "public",
    "photo": "public",
    "open_data_csv": "public",
    "open_data_json": "public",
    "open_data_dictionary": "public",
    "contribute": "participate",
    "comment": "participate",
    "support": "participate",
    "report": "participate",
    "report_comment": "participate",
    "my_requests": "own",
    "brief": "staff",
    "brief_pdf": "staff",
    "moderation": "staff",
    "moderation_all": "staff",
    "moderate_contribution": "staff",
    "moderate_comment": "staff",
    "dismiss_report": "staff",
    "triage": "staff",
    "triage_bulk": "staff",
    "staff_home": "staff",
    "staff_create": "staff",
    "staff_edit": "staff",
    "staff_report": "staff",
    "staff_contribution": "staff",
    "staff_route": "staff",
    "staff_status": "staff",
    "staff_note": "staff",
    "staff_answer": "staff",
    "staff_quick_win": "staff",
    "staff_discuss": "staff",
}
# Notifications are one's own; the unsubscribe link is opened by its secret.
NOTIFICATION_PAGES = {
    "notifications:list": "own",
    "notifications:mute": "own",
    "notifications:open": "own",
    "notifications:preferences": "own",
    "notifications:read_all": "own",
    "notifications:unsubscribe": "token",
}
# Open to everyone signed in, each result filtered by its app's policy.
FILTERED_PAGES = {"search:search"}

# API operations (module.function of the view) beside the internal apps'.
OWN_ACCOUNT_API = {"accounts.api.me", "accounts.api.update_me"}
INTERNAL_API = {"accounts.api.people", "accounts.api.person"}
CONSULTATION_API: dict[str, str] = {
    "consultations": "public",
    "consultation": "public",
    "contributions": "public",
    "contribution": "public",
    "comments": "public",
    "photo": "public",
    "export_csv": "public",
    "export_json": "public",
    "contribute": "participate",
    "add_photos": "participate",
    "support": "participate",
    "withdraw_support": "participate",
    "add_comment": "participate",
    "report": "participate",
    "my_requests": "own",
    "brief": "staff",
    "moderation_queue": "staff",
    "moderation_decision": "staff",
    "moderation_dismiss": "staff",
    "create_consultation": "staff",
    "update_consultation": "staff",
    "triage": "staff",
    "answer": "staff",
}
OWN_API_MODULES = ("notifications.api.",)
FILTERED_API = {"search.api.search"}

# Query strings some operations need to pass their validation and reach the policy.
API_QUERY = {"/messages/search": "?q=secret"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the view's module.function when unnamed
    pattern: str
    module: str
    params: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def page_routes() -> list[Route]:
    """Every page of the site (the API's operations and the admin apart)."""
    routes = {}
    for pattern, namespace, entry in _walk(get_resolver().url_patterns):
        if pattern.startswith(("api/v1/", "admin/")):
            continue
        callback = entry.callback
        module = getattr(callback, "__module__", "") or ""
        if entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
        else:
            name = f"{module}.{callback.__name__}"
        params = tuple(entry.pattern.regex.groupindex)
        routes.setdefault(name, Route(name, pattern, module, params))
    return sorted(routes.values(), key=lambda r: r.name)


def classify_page(route: Route) -> str | None:
    if route.name in PUBLIC_PAGES:
        return "public"
    if route.name in OWN_ACCOUNT_PAGES:
        return "own"
    if route.name in TOKEN_PAGES:
        return "token"
    if route.name in INTERNAL_PAGES:
        return "internal"
    if route.name.startswith("consultations:"):
        kind = CONSULTATION_PAGES.get(route.name.removeprefix("consultations:"))
        return f"consultations-{kind}" if kind else None
    if route.name in NOTIFICATION_PAGES:
        return NOTIFICATION_PAGES[route.name]
    if route.name in FILTERED_PAGES:
        return "filtered"
    if route.module.startswith(INTERNAL_MODULES):
        return "internal"
    return None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with {params}
    view: str  # module.function

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(?:\w+:)?(\w+)}", self.path)


def api_operations() -> list[Operation]:
    """Every operation of the API, from its routers."""
    found = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                func = operation.view_func
                full = "/" + f"{prefix}/{path}".strip("/")
                found.extend(
                    Operation(method, full, f"{func.__module__}.{func.__name__}")
                    for method in operation.methods
                )
    return sorted(found, key=lambda o: (o.path, o.method))


def classify_operation(operation: Operation) -> str | None:
    if operation.view in OWN_ACCOUNT_API:
        return "own"
    if operation.view in INTERNAL_API:
        return "internal"
    if operation.view.startswith("consultations."):
        kind = CONSULTATION_API.get(operation.view.removeprefix("consultations.api."))
        return f"consultations-{kind}" if kind else None
    if operation.view.startswith(OWN_API_MODULES):
        return "own"
    if operation.view in FILTERED_API:
        return "filtered"
    if operation.view.startswith(INTERNAL_MODULES):
        return "internal"
    return None


def test_every_route_is_classified():
    """A page or an API operation nobody has classified fails here: decide who may open it,
    and the matrix below then tests it for anonymous visitors and citizens."""
    pages = [r.name for r in page_routes() if classify_page(r) is None]
    operations = [
        f"{o.method} {o.path} ({o.view})" for o in api_operations() if classify_operation(o) is None
    ]
    assert pages == [], "unclassified pages"
    assert operations == [], "unclassified API operations"


def test_the_route_lists_are_complete():
    """The lists come from the resolver and the API: spot-check they really hold everything."""
    names = {r.name for r in page_routes()}
    assert {"groups:members", "files:download", "files:thumbnail", "meetings:ics"} <= names
    assert {"meetings:synthesis_pdf", "messaging:conversation", "accounts:avatar"} <= names
    internal = [r for r in page_routes() if classify_page(r) == "internal"]
    assert len(internal) >= 80
    operations = {(o.method, o.path) for o in api_operations()}
    assert ("GET", "/files/{file_id}/thumbnail") in operations
    assert ("DELETE", "/posts/{post_id}/like") in operations
    assert len([o for o in api_operations() if classify_operation(o) == "internal"]) >= 80
    # Classification lists name nothing that does not exist (stale entries hide mistakes).
    known = names | {r.module for r in page_routes()}
    listed = PUBLIC_PAGES | OWN_ACCOUNT_PAGES | INTERNAL_PAGES | TOKEN_PAGES | FILTERED_PAGES
    listed |= {f"consultations:{name}" for name in CONSULTATION_PAGES} | set(NOTIFICATION_PAGES)
    assert listed - known == set()
    views = {o.view for o in api_operations()}
    listed = OWN_ACCOUNT_API | INTERNAL_API | FILTERED_API
    listed |= {f"consultations.api.{name}" for name in CONSULTATION_API}
    assert listed - views == set()


# --- The internal world ----------------------------------------------------------------------


@dataclass
class Internal:
    staff: User  # owns the group, the file, the meeting; writes the post and the message
    colleague: User  # staff with a photo: the profile the directory routes point at
    elected: User  # member of the group, invited to the meeting, in the conversation
    outsider: User  # staff asking to join the group
    citizen: User
    group: Group
    ids: dict[str, object] = field(default_factory=dict)
    # The consultation routes' ids (a consultation comment is not a social comment).
    consultation_ids: dict[str, object] = field(default_factory=dict)
    calendar_raw: str = ""

    def ids_for(self, name: str) -> dict[str, object]:
        if name.startswith(("consultations:", "consultations.")):
            return {**self.ids, **self.consultation_ids}
        return self.ids


def build_internal() -> Internal:
    make = UserFactory
    staff = make(kind=User.Kind.STAFF, display_name="Agnès Agent", bio=f"Bio {SECRET}")
    colleague = make(kind=User.Kind.STAFF, display_name="Paul Collègue", job_title=SECRET)
    elected = make(kind=User.Kind.ELECTED, display_name="Élise Élue", bio=f"Élue {SECRET}")
    outsider = make(kind=User.Kind.STAFF, display_name="Olivier Dehors")
    citizen = make(kind=User.Kind.CITIZEN, display_name="Cécile Citoyenne", job_title="")
    account_services.set_avatar(
        actor=colleague,
        user=colleague,
        upload=SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png"),
    )
    # A PUBLIC group: every staff member reads it; a citizen still may not.
    group = GroupFactory(
        name=f"Groupe {SECRET}",
        slug="groupe-interne",
        description=f"Description {SECRET}",
        visibility=Group.Visibility.PUBLIC,
        created_by=staff,
    )
    for person in (elected, colleague):
        Membership.objects.create(group=group, user=person)
    group_services.set_group_avatar(
        actor=staff,
        group=group,
        upload=SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png"),
    )
    w = Internal(staff, colleague, elected, outsider, citizen, group)
    post = social_services.create_post(
        author=staff, group=group, body=f"Publication {SECRET} #{TOPIC}"
    )
    comment = social_services.add_comment(author=staff, post=post, body=f"Commentaire {SECRET}")
    file = file_services.create_file(
        owner=staff, incoming=upload(f"plan-{SECRET}.png", png_bytes()), group=group
    )
    make_preview(file.current_version_id)  # the thumbnail (a task, after commit otherwise)
    share = FileShare.objects.get(file=file, group=group)
    conversation = message_services.start_direct(actor=staff, person=elected)
    message, _new = message_services.send_message(
        author=staff, conversation=conversation, body=f"Message {SECRET}", client_key=uuid.uuid4()
    )
    starts = timezone.now() + timedelta(days=3)
    meeting = meeting_services.create_meeting(
        actor=staff,
        group=group,
        title=f"Réunion {SECRET}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Salle du conseil",
        participants=[elected],
    )
    item = meeting_services.add_item(actor=staff, meeting=meeting, title=f"Point {SECRET}")
    decision = meeting_services.add_decision(
        actor=staff, meeting=meeting, text=f"Décision {SECRET}", owner=staff
    )
    join_request = JoinRequest.objects.create(group=group, user=outsider, message=SECRET)
    calendar_token, w.calendar_raw = meeting_services.create_calendar_token(user=staff)
    pending = file_services.start_upload(user=staff, name="suite.png", size=10)
    # A consultation, open, moderated by the staff member: another citizen's published
    # request with a photo, a comment and a report, and the staff's internal note on it.
    neighbour = make(kind=User.Kind.CITIZEN, display_name="Bruno Voisin", job_title="")
    now = timezone.now()
    consultation = consultation_services.create_consultation(
        actor=staff,
        title="Visite du quartier Europe",
        neighbourhoods="Europe",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        moderators=[staff],
        officials=[elected],
    )
    request = consultation_services.create_contribution(
        author=neighbour,
        consultation=consultation,
        kind="demande",
        title="Lampadaire en panne",
        body="Devant l'école.",
        category=consultation.categories.get(name="éclairage").pk,
        photos=[SimpleUploadedFile("rue.png", png_bytes(), content_type="image/png")],
    )
    consultation_services.add_internal_note(
        author=staff, contribution=request, text=f"Note {SECRET}"
    )
    consultation_comment = consultation_services.add_comment(
        author=neighbour, contribution=request, body="Toujours en panne."
    )
    consultation_report = consultation_services.report_contribution(
        reporter=neighbour, contribution=request, reason="Urgent"
    )
    w.consultation_ids = {
        "consultation_id": consultation.pk,
        "contribution_id": request.pk,
        "photo_id": request.photos.get().pk,
        "comment_id": consultation_comment.pk,
        "report_id": consultation_report.pk,
        "target_id": request.pk,
    }
    w.ids = {
        "slug": group.slug,
        "person_id": colleague.pk,
        "user_id": elected.pk,
        "request_id": join_request.pk,
        "post_id": post.pk,
        "comment_id": comment.pk,
        "name": Topic.objects.get(name__iexact=TOPIC).name,
        "file_id": file.pk,
        "share_id": share.pk,
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "meeting_id": meeting.pk,
        "item_id": item.pk,
        "decision_id": decision.pk,
        "upload_id": pending.pk,
        "token_id": calendar_token.pk,  # meetings:revoke_calendar (accounts' own is separate)
        "token": "jeton-inconnu",
        "raw": "jeton-inconnu",
    }
    return w


@pytest.fixture
def internal(db) -> Internal:
    # Built per test (well under a second): a module-wide world would hold a transaction
    # open that the socket test below, a transactional one, would wait on.
    return build_internal()


def db_state() -> dict[str, int]:
    """Rows of every internal app (and the accounts): a refused write changes none of them."""
    counts = {}
    for app in ("accounts", "groups", "social", "files", "messaging", "meetings", "consultations"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            counts[model._meta.label] = model.objects.count()
    return counts


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _client(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _page_url(route: Route, w: Internal) -> str:
    ids = w.ids_for(route.name)
    return reverse(route.name, kwargs={p: ids[p] for p in route.params})


# --- Pages -----------------------------------------------------------------------------------


# Internal for the matrix: the internal apps' pages and the consultations' staff pages.
CLOSED_TO_CITIZENS = {"internal", "consultations-staff"}


def internal_pages() -> list[Route]:
    return [r for r in page_routes() if classify_page(r) in CLOSED_TO_CITIZENS]


def test_anonymous_visitors_are_sent_to_sign_in_by_every_internal_page(internal):
    client = _client(None)
    before = db_state()
    wrong = []
    for route in internal_pages():
        url = _page_url(route, internal)
        for method in (client.get, client.post):
            response = method(url)
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(LOGIN):
                wrong.append((route.name, method.__name__, response.status_code, location))
            assert SECRET not in _text(response), route.name
    assert wrong == [], "\n".join(map(str, wrong))
    assert db_state() == before


def _unknown_ids(route: Route, w: Internal) -> str:
    """The same address with every numeric id replaced by one that does not exist."""
    ids = w.ids_for(route.name)
    kwargs = {p: (987_654_321 if isinstance(ids[p], int) else "inconnu") for p in route.params}
    return reverse(route.name, kwargs=kwargs)


def test_citizens_get_404_from_every_internal_page_and_change_nothing(internal):
    client = _client(internal.citizen)
    before = db_state()
    wrong = []
    for route in internal_pages():
        url = _page_url(route, internal)
        for method in (client.get, client.post):
            response = method(url, {"body": "Essai", "name": "Essai", "message": "Essai"})
            status = response.status_code
            case = (route.name, method.__name__.upper(), status)
            assert SECRET not in _text(response), case
            if status == 404:
                continue
            # Refused before any look-up: must answer the same for an unknown id.
            before_lookup = status == 405 or (status == 403 and not route.params)
            same = method(_unknown_ids(route, internal)).status_code == status
            if not (before_lookup and same):
                wrong.append(case)
    assert wrong == [], "\n".join(map(str, wrong))
    assert db_state() == before


def test_staff_reach_the_same_internal_pages(internal):
    """The contrast: the objects exist and staff reach them, so the citizens' 404 is policy."""
    client = _client(internal.staff)
    wrong = []
    for route in internal_pages():
        response = client.get(_page_url(route, internal))
        if response.status_code == 404 or response.status_code >= 500:
            wrong.append((route.name, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
    for name in ("social:group", "social:post", "files:detail", "meetings:detail"):
        route = next(r for r in page_routes() if r.name == name)
        assert SECRET in _text(client.get(_page_url(route, internal))), name


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_secret_addresses_with_an_unknown_secret_are_404(internal, who):
    client = _client(internal.citizen if who == "citizen" else None)
    for route in page_routes():
        if classify_page(route) == "token":
            response = client.get(_page_url(route, internal))
            assert response.status_code == 404, (route.name, response.status_code)


def test_a_citizen_gets_no_calendar_address(internal):
    with pytest.raises(PermissionDenied):
        meeting_services.create_calendar_token(user=internal.citizen)


def test_a_citizens_home_and_own_pages_show_nothing_internal(internal):
    client = _client(internal.citizen)
    for route in page_routes():
        if classify_page(route) != "own" or route.params:
            continue
        response = client.get(reverse(route.name))
        assert response.status_code < 500, (route.name, response.status_code)
        assert SECRET not in _text(response), route.name


def test_the_admin_is_closed_to_citizens(internal):
    response = _client(internal.citizen).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    response = _client(internal.citizen).get(f"/admin/accounts/user/{internal.staff.pk}/change/")
    assert response.status_code == 302
    assert SECRET not in _text(response)


# --- API -------------------------------------------------------------------------------------


def internal_operations() -> list[Operation]:
    return [o for o in api_operations() if classify_operation(o) in CLOSED_TO_CITIZENS]


def _api_path(operation: Operation, w: Internal, *, unknown: bool = False) -> str:
    """The operation's address for the world's objects (or for ids that do not exist)."""
    path = operation.path
    ids = w.ids_for(operation.view)
    for param in operation.params:
        value = ids[param]
        if unknown:
            value = 987_654_321 if isinstance(value, int) else "inconnu"
        path = re.sub(r"{(?:\w+:)?" + param + "}", str(value), path)
    return f"/api/v1{path}{API_QUERY.get(operation.path, '')}"


def _call(client: Client, operation: Operation, path: str, **headers):
    return client.generic(
        operation.method, path, data="{}", content_type="application/json", **headers
    )


def _token(user: User) -> str:
    _row, raw = account_services.create_api_token(user=user, name="matrice")
    return raw


def test_the_api_answers_401_to_anonymous_visitors_on_every_internal_operation(internal):
    client = _client(None)
    before = db_state()
    wrong = []
    for operation in internal_operations():
        response = _call(client, operation, _api_path(operation, internal))
        if response.status_code != 401:
            wrong.append((operation.method, operation.path, response.status_code))
        assert SECRET not in _text(response), operation
    assert wrong == [], "\n".join(map(str, wrong))
    assert db_state() == before


def _shows_nothing(response) -> bool:
    """An answer with no data in it: an error, or an empty list."""
    if response.status_code != 200:
        return True
    body = response.json()
    if not isinstance(body, dict):
        return not body
    return not body.get("items") and not body.get("conversations") and not body.get("total")


def test_the_api_answers_404_to_citizens_on_every_internal_operation(internal):
    raw = _token(internal.citizen)
    client = _client(None)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = db_state()
    wrong = []
    for operation in internal_operations():
        response = _call(client, operation, _api_path(operation, internal), **auth)
        status = response.status_code
        case = (operation.method, operation.path, status)
        assert SECRET not in _text(response), case
        assert _shows_nothing(response), case
        # Refused before any parameter or body is read: the same for every address.
        if not (status == 404 and response.json() == NOT_FOUND):
            wrong.append(case)
    assert wrong == [], "\n".join(map(str, wrong))
    assert db_state() == before


def test_the_api_answers_404_to_a_citizens_browser_session_too(internal):
    client = _client(internal.citizen)
    wrong = []
    for operation in internal_operations():
        if operation.method != "GET":
            continue  # unsafe methods with a session need the CSRF token first
        response = client.get(_api_path(operation, internal))
        if response.status_code != 404:
            wrong.append((operation.path, response.status_code))
        assert SECRET not in _text(response), operation
        assert _shows_nothing(response), operation
    assert wrong == [], "\n".join(map(str, wrong))


def test_staff_read_the_same_api_operations(internal):
    raw = _token(internal.staff)
    client = _client(None)
    wrong = []
    for operation in internal_operations():
        if operation.method != "GET":
            continue
        response = client.get(_api_path(operation, internal), HTTP_AUTHORIZATION=f"Bearer {raw}")
        if response.status_code != 200:
            wrong.append((operation.path, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_citizen_reads_only_their_own_account_through_the_api(internal):
    raw = _token(internal.citizen)
    response = _client(None).get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["id"] == internal.citizen.pk
    assert SECRET not in _text(response)


# --- The socket ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_citizens_socket_cannot_follow_a_group_and_receives_nothing_internal():
    staff = UserFactory(kind=User.Kind.STAFF)
    elected = UserFactory(kind=User.Kind.ELECTED)
    citizen = UserFactory(kind=User.Kind.CITIZEN, job_title="")
    group = GroupFactory(name="Groupe ouvert", created_by=staff)
    conversation = message_services.start_direct(actor=staff, person=elected)
    citizen_socket, staff_socket = communicator(citizen), communicator(staff)

    async def scenario():
        assert (await staff_socket.connect())[0]
        connected, _ = await citizen_socket.connect()
        if not connected:
            return  # refusing a citizen's socket outright is fine too
        await staff_socket.send_json_to({"type": "subscribe", "group": group.pk})
        assert (await staff_socket.receive_json_from(timeout=2))["type"] == "subscribed"
        await citizen_socket.send_json_to({"type": "subscribe", "group": group.pk})
        refused = await citizen_socket.receive_json_from(timeout=2)
        assert refused == {"type": "error", "data": {"detail": "Groupe introuvable."}}
        await citizen_socket.send_json_to({"type": "typing", "conversation": conversation.pk})
        refused = await citizen_socket.receive_json_from(timeout=2)
        assert refused == {"type": "error", "data": {"detail": "Conversation introuvable."}}

        def write():
            post = social_services.create_post(author=staff, group=group, body=f"Note {SECRET}")
            social_services.add_comment(author=staff, post=post, body=SECRET)
            message_services.send_message(
                author=staff, conversation=conversation, body=SECRET, client_key=uuid.uuid4()
            )

        await sync_to_async(write)()
        seen = []
        while not await staff_socket.receive_nothing(timeout=0.5):
            seen.append((await staff_socket.receive_json_from(timeout=1))["type"])
        assert "post.created" in seen  # the contrast: the staff member's feed moved
        assert await citizen_socket.receive_nothing(timeout=0.5)
        await citizen_socket.disconnect()
        await staff_socket.disconnect()

    run(scenario)


def test_the_matrix_covers_files_downloads_and_thumbnails(internal):
    """Guard against a resolver walk that silently skipped the binary routes."""
    names = {r.name for r in internal_pages()}
    assert {"files:download", "files:thumbnail", "accounts:avatar", "meetings:synthesis_pdf"} <= (
        names
    )
    paths = {o.path for o in internal_operations()}
    assert {
        "/files/{file_id}/download",
        "/files/{file_id}/thumbnail",
        "/meetings/{meeting_id}/ics",
    } <= paths


# --- Consultations: public pages, participation, one's own requests, search --------------------


def _routes(kind: str) -> list[Route]:
    return [r for r in page_routes() if classify_page(r) == kind]


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_public_consultation_pages_show_nothing_internal(internal, who):
    client = _client(internal.citizen if who == "citizen" else None)
    for route in _routes("consultations-public"):
        response = client.get(_page_url(route, internal))
        case = (who, route.name, response.status_code)
        if route.name.startswith("consultations:open_data"):
            assert response.status_code < 500, case  # open data once closed only
        else:
            assert response.status_code == 200, case
        assert SECRET not in _text(response), case
        assert "Urgent" not in _text(response), case  # the report's reason is internal


def test_anonymous_visitors_sign_in_before_taking_part_and_nothing_is_written(internal):
    client = _client(None)
    before = db_state()
    for kind in ("consultations-participate", "consultations-own"):
        for route in _routes(kind):
            for method in (client.get, client.post):
                response = method(_page_url(route, internal), {"body": "Essai"})
                case = (route.name, method.__name__, response.status_code)
                assert response.status_code in {302, 405}, case
                if response.status_code == 302:
                    assert response["Location"].startswith(LOGIN), case
    assert db_state() == before


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_public_consultation_api_shows_nothing_internal(internal, who):
    client = _client(internal.citizen if who == "citizen" else None)
    for operation in api_operations():
        if classify_operation(operation) != "consultations-public":
            continue
        response = client.get(_api_path(operation, internal))
        case = (who, operation.path, response.status_code)
        assert response.status_code < 500, case
        if "export" not in operation.path:
            assert response.status_code == 200, case
        assert SECRET not in _text(response), case
        assert "Urgent" not in _text(response), case


def test_participating_through_the_api_needs_an_account(internal):
    client = _client(None)
    before = db_state()
    for operation in api_operations():
        if classify_operation(operation) not in {"consultations-participate", "consultations-own"}:
            continue
        response = _call(client, operation, _api_path(operation, internal))
        assert response.status_code == 401, (operation.path, response.status_code)
    assert db_state() == before


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_searching_finds_nothing_internal(internal, who):
    client = _client(internal.citizen if who == "citizen" else None)
    # Words of the internal objects' texts (the secret word itself would be echoed back).
    for query in ("Publication", "Commentaire", "Réunion", "Message", "plan", "Note", "Groupe"):
        for route in _routes("filtered"):
            response = client.get(_page_url(route, internal), {"q": query})
            assert response.status_code < 500, (route.name, response.status_code)
            assert SECRET not in _text(response), (route.name, query)
        for operation in api_operations():
            if classify_operation(operation) == "filtered":
                response = client.get(_api_path(operation, internal), {"q": query})
                expected = {401} if who == "anonymous" else {200, 404}
                assert response.status_code in expected, (operation.path, response.status_code)
                assert SECRET not in _text(response), (operation.path, query)


def test_staff_find_the_internal_objects_by_search(internal):
    """The contrast: the words searched above do find internal objects, for staff."""
    client = _client(internal.staff)
    found = [
        query
        for query in ("Publication", "Réunion", "plan")
        for route in _routes("filtered")
        if SECRET in _text(client.get(_page_url(route, internal), {"q": query}))
    ]
    assert found
