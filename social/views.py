"""Feeds, posts and their conversation (HTML pages).

Thin views: parse, call social.services or social.selectors, render. A service's refusal
(ValidationError) is shown in French next to the form and changes nothing; PermissionDenied
answers 403; lookups go through the selectors, which answer 404 for missing and forbidden.
Actions are plain form posts that redirect back; under htmx they answer the updated fragment.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.models import User
from files import content as file_content
from files import policy as file_policy
from files import selectors as file_selectors
from files import services as file_services
from files.views import upload_limits
from groups import policy as group_policy
from groups import selectors as group_selectors
from groups.models import Group, JoinRequest
from notifications import selectors as notification_selectors
from notifications.models import Mute
from social import policy, selectors, services
from social.forms import (
    ERROR_ALIASES,
    UPLOADS_FIELD,
    CommentForm,
    EditCommentForm,
    EditPostForm,
    PostForm,
    ShareForm,
    apply_errors,
)
from social.models import Comment, Post, Reaction

FEED_TABS = [
    ("all", gettext_lazy("Tout")),
    ("mentions", gettext_lazy("Mentions")),
    ("bookmarks", gettext_lazy("Favoris")),
    ("questions", gettext_lazy("Questions sans réponse")),
    ("announcements", gettext_lazy("Annonces")),
]
REACTION_NAMES = {
    Reaction.Kind.LIKE: gettext_lazy("J’aime"),
    Reaction.Kind.THUMBS_UP: gettext_lazy("Pouce levé"),
    Reaction.Kind.HEART: gettext_lazy("Cœur"),
    Reaction.Kind.PARTY: gettext_lazy("Bravo"),
    Reaction.Kind.EYES: gettext_lazy("Je regarde"),
    Reaction.Kind.CHECK: gettext_lazy("Validé"),
}
CURSOR_MAX_LENGTH = 200
SCOPES = ("feed", "pinned", "detail")


# --- Helpers ---------------------------------------------------------------------------------


def _feed_filter(request: HttpRequest) -> str:
    value = request.GET.get("filter", "all")
    return value if value in selectors.FEED_FILTERS else "all"


def _cursor(request: HttpRequest) -> str | None:
    cursor = request.GET.get("cursor") or None
    if cursor is not None and len(cursor) > CURSOR_MAX_LENGTH:
        raise selectors.InvalidCursor
    return cursor


def _bad_cursor(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "social/bad_request.html",
        {"detail": _("Ce lien de pagination n’est pas valide. Revenez au début du fil.")},
        status=400,
    )


def _name_reactions(posts: list[Post]) -> list[Post]:
    for post in posts:
        for item in getattr(post, "reaction_summary", []):
            item["name"] = REACTION_NAMES[item["kind"]]
    return posts


def _feed_context(
    page: selectors.FeedPage, *, url: str, filter: str | None, cursor: str | None
) -> dict:
    _name_reactions(page.posts)
    _name_reactions(page.pinned)
    more_url = None
    if page.next_cursor:
        query = {"cursor": page.next_cursor}
        if filter and filter != "all":
            query = {"filter": filter, **query}
        more_url = f"{url}?{urlencode(query)}"
    return {
        "page": page,
        "feed_url": url,
        "feed_next": f"{url}?{urlencode({'filter': filter})}"
        if filter and filter != "all"
        else url,
        "filter": filter,
        "more_url": more_url,
        "next_page": cursor is not None,
    }


def _is_more(request: HttpRequest, cursor: str | None) -> bool:
    """An htmx « Charger plus »: answer only the next items."""
    return bool(request.htmx and cursor)


def _next_url(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _refusal(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _mentions_url(group: Group | None) -> str:
    url = reverse("social:mention_candidates")
    return f"{url}?{urlencode({'group': group.slug})}" if group else url


# --- Publishing (the composer) ---------------------------------------------------------------


def _composer_context(user: User) -> dict:
    """What the composer's « Joindre des fichiers » block needs."""
    if not file_policy.can_have_files(user):
        return {"can_attach": False}
    return {
        "can_attach": True,
        "upload_limits": upload_limits(),
        "uploads_field": UPLOADS_FIELD,
        "attachments_max": file_selectors.ATTACHMENTS_MAX,
    }


def _publish(request: HttpRequest, form: PostForm, group: Group | None) -> Post:
    """The post and its files, all or nothing: files uploaded already are shared to it, files
    sent with the form (without JavaScript) are stored, then shared to it."""
    author = request.user
    stored: list[str] = []  # blobs written here, removed again if the post is not published
    try:
        with transaction.atomic():
            post = services.create_post(author=author, group=group, **form.service_arguments())
            file_services.attach_to_post(
                actor=author, post=post, files=form.cleaned_data["attachments"]
            )
            for uploaded in form.cleaned_data["uploads"]:
                try:
                    file = file_services.create_file(
                        owner=author, incoming=file_services.from_upload(uploaded), post=post
                    )
                except ValidationError as error:
                    raise ValidationError(
                        {
                            "attachments": _("« %(name)s » n’a pas été joint : %(reason)s")
                            % {
                                "name": file_content.clean_name(uploaded.name),
                                "reason": " ".join(error.messages),
                            }
                        }
                    ) from error
                stored.append(file.current_version.blob)
    except BaseException:
        for key in stored:
            file_services.storage().delete(key)
        raise
    return post


# --- Home, bookmarks and the profile composer ------------------------------------------------


def _home_context(request: HttpRequest, *, form: PostForm | None = None) -> dict:
    user = request.user
    filter = _feed_filter(request)
    cursor = _cursor(request)
    page = selectors.home_feed(user, filter=filter, cursor=cursor)
    context = _feed_context(page, url=reverse("home"), filter=filter, cursor=cursor)
    context["tabs"] = FEED_TABS
    if not _is_more(request, cursor):
        context["trending"] = selectors.trending_topics(user)
        if policy.can_post_on_profile(user):
            context["form"] = form or PostForm(author=user, mentions_url=_mentions_url(None))
            context.update(_composer_context(user))
    return context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not policy.has_social_space(request.user):
        return render(request, "home.html")
    try:
        context = _home_context(request)
    except selectors.InvalidCursor:
        return _bad_cursor(request)
    if _is_more(request, request.GET.get("cursor")):
        return render(request, "social/partials/feed.html#items", context)
    return render(request, "home.html", context)


@require_POST
def publish_on_profile(request: HttpRequest) -> HttpResponse:
    if not policy.can_post_on_profile(request.user):
        raise PermissionDenied
    form = PostForm(
        request.POST, request.FILES, author=request.user, mentions_url=_mentions_url(None)
    )
    if form.is_valid():
        try:
            post = _publish(request, form, None)
        except ValidationError as error:
            apply_errors(form, error, aliases=ERROR_ALIASES)
        else:
            messages.success(request, _("Votre publication est en ligne."))
            return redirect("social:post", post.pk)
    return render(request, "home.html", _home_context(request, form=form))


@require_GET
def bookmarks(request: HttpRequest) -> HttpResponse:
    if not policy.has_social_space(request.user):
        raise PermissionDenied
    try:
        cursor = _cursor(request)
        page = selectors.home_feed(request.user, filter="bookmarks", cursor=cursor)
    except selectors.InvalidCursor:
        return _bad_cursor(request)
    context = _feed_context(
        page, url=reverse("social:bookmarks"), filter="bookmarks", cursor=cursor
    )
    if _is_more(request, cursor):
        return render(request, "social/partials/feed.html#items", context)
    return render(request, "social/bookmarks.html", context)


# --- Group feed ------------------------------------------------------------------------------


def _group_context(request: HttpRequest, group: Group, *, form: PostForm | None = None) -> dict:
    """The group header's context (as the groups pages build it) and the feed."""
    user = request.user
    membership = group_policy.membership_of(user, group)
    readable = group_policy.can_read_group_given(user, group, membership)
    context = {
        "group": group,
        "membership": membership,
        "can_manage": group_policy.can_manage_given(user, membership),
        "active_tab": "feed",
        "pending_request": membership is None
        and group_policy.can_request_to_join(user, group)
        and group.join_requests.filter(user=user, status=JoinRequest.Status.PENDING).exists(),
        "readable": readable,
        "tabs": FEED_TABS,
        "filter": _feed_filter(request),
    }
    if readable:
        context["following"] = selectors.is_following(user, group=group)
        context["group_muted"] = (
            notification_selectors.mute_state(user, Mute.Kind.GROUP, group) == "self"
        )
        cursor = _cursor(request)
        page = selectors.group_feed(
            user, group, filter=context["filter"], cursor=cursor, membership=membership
        )
        context.update(
            _feed_context(
                page,
                url=reverse("social:group", args=[group.slug]),
                filter=context["filter"],
                cursor=cursor,
            )
        )
    if membership is not None:
        context["form"] = form or PostForm(
            group=group, author=user, mentions_url=_mentions_url(group)
        )
        context.update(_composer_context(user))
    return context


@require_GET
def group(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    try:
        if request.htmx and request.GET.get("cursor"):
            cursor = _cursor(request)
            page = selectors.group_feed(
                request.user, group, filter=_feed_filter(request), cursor=cursor
            )
            context = _feed_context(
                page,
                url=reverse("social:group", args=[group.slug]),
                filter=_feed_filter(request),
                cursor=cursor,
            )
            return render(request, "social/partials/feed.html#items", context)
        context = _group_context(request, group)
    except selectors.InvalidCursor:
        return _bad_cursor(request)
    if not context["readable"]:
        # Like the other tabs of a group whose content is for its members only.
        return render(request, "groups/restricted.html", context, status=403)
    return render(request, "social/group.html", context)


@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    if not policy.can_post_in_group(request.user, group):
        raise PermissionDenied
    form = PostForm(
        request.POST,
        request.FILES,
        group=group,
        author=request.user,
        mentions_url=_mentions_url(group),
    )
    if form.is_valid():
        try:
            _publish(request, form, group)
        except ValidationError as error:
            apply_errors(form, error, aliases=ERROR_ALIASES)
        else:
            messages.success(request, _("Votre publication est en ligne."))
            return redirect("social:group", group.slug)
    return render(request, "social/group.html", _group_context(request, group, form=form))


@require_POST
def follow_group(request: HttpRequest, slug: str) -> HttpResponse:
    group = group_selectors.get_group_for(request.user, slug)
    _toggle_follow(
        request,
        {"group": group},
        followed=_("Vous suivez ce groupe : ses publications arrivent dans votre fil."),
        unfollowed=_("Vous ne suivez plus ce groupe."),
    )
    return redirect(_next_url(request, reverse("social:group", args=[group.slug])))


def _toggle_follow(request: HttpRequest, target: dict, *, followed: str, unfollowed: str) -> None:
    """The « Suivre / Ne plus suivre » buttons of groups, topics and people."""
    if request.POST.get("action") == "unfollow":
        services.unfollow(actor=request.user, **target)
        messages.success(request, unfollowed)
    else:
        services.follow(actor=request.user, **target)
        messages.success(request, followed)


# --- Mentions --------------------------------------------------------------------------------


@require_GET
def mention_candidates(request: HttpRequest) -> HttpResponse:
    """The composer's suggestions, as an HTML list of options (static/js/composer.js)."""
    slug = request.GET.get("group", "")[:80]
    group = None
    if slug:
        group = group_selectors.get_group_for(request.user, slug)
        if not group_policy.can_read_group(request.user, group):
            raise PermissionDenied
    elif not policy.can_post_on_profile(request.user):
        raise PermissionDenied
    people = selectors.mention_candidates(request.user, group=group, query=request.GET.get("q", ""))
    return render(request, "social/partials/mention_candidates.html", {"people": people})


# --- A post and its conversation -------------------------------------------------------------


def _share_groups(user: User, post: Post):
    if post.is_deleted or post.group is None or post.group.visibility != Group.Visibility.PUBLIC:
        return None
    allowed = [
        g.pk for g in group_selectors.postable_groups(user) if policy.can_share(user, post, g)
    ]
    return Group.objects.filter(pk__in=allowed).order_by("name", "id")


def _post_context(
    request: HttpRequest,
    post: Post,
    *,
    comment_form: CommentForm | None = None,
    share_form: ShareForm | None = None,
) -> dict:
    user = request.user
    _name_reactions([post])
    mentions_url = _mentions_url(post.group) if post.group else _mentions_url(None)
    context = {
        "post": post,
        "scope": "detail",
        "detail": True,
        "comments": selectors.comments_of(user, post),
        "reactors": selectors.reactors_of(user, post),
        "can_moderate": post.group is not None and group_policy.can_manage_group(user, post.group),
        "can_comment": policy.can_interact(user, post),
    }
    if context["can_comment"]:
        context["comment_form"] = comment_form or CommentForm(mentions_url=mentions_url)
    groups = _share_groups(user, post)
    if groups is not None and groups.exists():
        context["share_form"] = share_form or ShareForm(groups=groups, prefix="share")
    return context


@require_GET
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    return render(request, "social/post_detail.html", _post_context(request, post))


@require_GET
def post_history(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    revisions = selectors.revisions_of(request.user, post)
    return render(request, "social/post_history.html", {"post": post, "revisions": revisions})


def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    if not policy.can_edit_post(request.user, post):
        raise PermissionDenied
    mentions_url = _mentions_url(post.group)
    form = EditPostForm(
        request.POST or None, initial={"body": post.body}, mentions_url=mentions_url
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_post(actor=request.user, post=post, body=form.cleaned_data["body"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("La publication a été modifiée."))
            return redirect("social:post", post.pk)
    return render(request, "social/post_edit.html", {"post": post, "form": form})


def post_delete(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    if not policy.can_delete_post(request.user, post):
        raise PermissionDenied
    if request.method == "POST":
        services.delete_post(actor=request.user, post=post)
        messages.success(request, _("La publication a été supprimée."))
        if post.group is not None:
            return redirect("social:group", post.group.slug)
        return redirect("home")
    return render(request, "social/post_delete.html", {"post": post})


def _actions_response(request: HttpRequest, post_id: int) -> HttpResponse:
    """The refreshed reactions and bookmark of one post, for an htmx swap."""
    post = selectors.get_post_for(request.user, post_id)
    _name_reactions([post])
    scope = request.POST.get("scope")
    detail = scope == "detail"
    context = {
        "post": post,
        "scope": scope if scope in SCOPES else "feed",
        "detail": detail,
        "next": _next_url(request, reverse("social:post", args=[post.pk])),
    }
    if detail:
        context["reactors"] = selectors.reactors_of(request.user, post)
    return render(request, "social/partials/post.html#actions", context)


def _back(request: HttpRequest, post: Post, anchor: str = "") -> HttpResponse:
    return redirect(_next_url(request, reverse("social:post", args=[post.pk])) + anchor)


@require_POST
def react(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    kind = request.POST.get("kind", Reaction.Kind.LIKE)
    try:
        if request.POST.get("action") == "remove":
            services.unreact(actor=request.user, post=post, kind=kind)
        else:
            services.react(actor=request.user, post=post, kind=kind)
    except ValidationError as error:
        _refusal(request, error)
    if request.htmx:
        return _actions_response(request, post.pk)
    return _back(request, post)


@require_POST
def bookmark(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    if request.POST.get("action") == "remove":
        services.unbookmark(actor=request.user, post=post)
    else:
        services.bookmark(actor=request.user, post=post)
    if request.htmx:
        return _actions_response(request, post.pk)
    return _back(request, post)


@require_POST
def vote(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    try:
        option_id = int(request.POST.get("option", ""))
    except ValueError:
        messages.error(request, _("Choisissez une réponse avant de voter."))
    else:
        try:
            services.vote(actor=request.user, post=post, option_id=option_id)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Votre vote est enregistré."))
    return _back(request, post, f"#sondage-{post.pk}")


@require_POST
def close_poll(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    services.close_poll(actor=request.user, post=post)
    messages.success(request, _("Le sondage est clos."))
    return _back(request, post)


@require_POST
def share(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    groups = _share_groups(request.user, post)
    if groups is None:
        raise PermissionDenied
    form = ShareForm(request.POST, groups=groups, prefix="share")
    if form.is_valid():
        try:
            shared = services.share_post(
                actor=request.user,
                post=post,
                group=form.cleaned_data["group"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("La publication est partagée dans « %(group)s ».") % {"group": shared.group.name},
            )
            return redirect("social:post", shared.pk)
    return render(request, "social/post_detail.html", _post_context(request, post, share_form=form))


@require_POST
def add_comment(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.get_post_for(request.user, post_id)
    mentions_url = _mentions_url(post.group)
    form = CommentForm(request.POST, mentions_url=mentions_url)
    added = False
    if form.is_valid():
        try:
            services.add_comment(author=request.user, post=post, body=form.cleaned_data["body"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            added = True
            if not request.htmx:
                messages.success(request, _("Votre commentaire est publié."))
                return redirect(reverse("social:post", args=[post.pk]) + "#commentaires")
            form = None
    if added:
        post = selectors.get_post_for(request.user, post.pk)
    context = _post_context(request, post, comment_form=form)
    context["comment_status"] = _("Votre commentaire est publié.") if added else ""
    if request.htmx:
        return render(request, "social/post_detail.html#comments", context)
    return render(request, "social/post_detail.html", context)


def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.get_comment_for(request.user, comment_id)
    if not policy.can_edit_comment(request.user, comment):
        raise PermissionDenied
    form = EditCommentForm(
        request.POST or None,
        initial={"body": comment.body},
        mentions_url=_mentions_url(comment.post.group if comment.post_id else None),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_comment(
                actor=request.user, comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Le commentaire a été modifié."))
            return redirect(_thread_url(comment) + f"#commentaire-{comment.pk}")
    return render(
        request,
        "social/comment_edit.html",
        {"comment": comment, "form": form, "thread_url": _thread_url(comment)},
    )


def _thread_url(comment: Comment) -> str:
    """The page holding a comment's thread: its post, its shared file or its meeting."""
    if comment.item_id is not None:
        return comment.item.meeting.get_absolute_url()
    if comment.file_id is not None:
        return reverse("files:detail", args=[comment.file_id])
    return reverse("social:post", args=[comment.post_id])


@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.get_comment_for(request.user, comment_id)
    services.delete_comment(actor=request.user, comment=comment)
    messages.success(request, _("Le commentaire a été supprimé."))
    return redirect(_thread_url(comment) + "#commentaires")


@require_POST
def comment_react(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.get_comment_for(request.user, comment_id)
    if request.POST.get("action") == "remove":
        services.unreact(actor=request.user, comment=comment)
    else:
        services.react(actor=request.user, comment=comment)
    return redirect(_thread_url(comment) + f"#commentaire-{comment.pk}")


@require_POST
def best_answer(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.get_comment_for(request.user, comment_id)
    try:
        services.choose_best_answer(actor=request.user, comment=comment)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Ce commentaire est marqué comme meilleure réponse."))
    return redirect(reverse("social:post", args=[comment.post_id]) + "#commentaires")


# --- Topics and people -----------------------------------------------------------------------


@require_GET
def topic(request: HttpRequest, name: str) -> HttpResponse:
    topic = selectors.get_topic(request.user, name)
    try:
        cursor = _cursor(request)
        page = selectors.topic_feed(request.user, topic, cursor=cursor)
    except selectors.InvalidCursor:
        return _bad_cursor(request)
    context = _feed_context(
        page, url=reverse("social:topic", args=[topic.name]), filter=None, cursor=cursor
    )
    if _is_more(request, cursor):
        return render(request, "social/partials/feed.html#items", context)
    context.update(topic=topic, following=selectors.is_following(request.user, topic=topic))
    return render(request, "social/topic.html", context)


@require_POST
def follow_topic(request: HttpRequest, name: str) -> HttpResponse:
    topic = selectors.get_topic(request.user, name)
    _toggle_follow(
        request,
        {"topic": topic},
        followed=_("Vous suivez ce sujet : ses publications arrivent dans votre fil."),
        unfollowed=_("Vous ne suivez plus ce sujet."),
    )
    return redirect("social:topic", topic.name)


@require_GET
def profile_feed(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's posts: a page, and the section the profile page loads with htmx."""
    person = account_selectors.get_person_for(request.user, person_id)
    if person.is_citizen or not policy.has_social_space(request.user):
        raise PermissionDenied
    try:
        cursor = _cursor(request)
        page = selectors.profile_feed(request.user, person, cursor=cursor)
    except selectors.InvalidCursor:
        return _bad_cursor(request)
    context = _feed_context(
        page, url=reverse("social:profile_feed", args=[person.pk]), filter=None, cursor=cursor
    )
    if _is_more(request, cursor):
        return render(request, "social/partials/feed.html#items", context)
    context.update(
        person=person,
        following=person != request.user and selectors.is_following(request.user, user=person),
    )
    if request.htmx:
        return render(request, "social/profile_feed.html#section", context)
    return render(request, "social/profile_feed.html", context)


@require_POST
def follow_person(request: HttpRequest, person_id: int) -> HttpResponse:
    person = account_selectors.get_person_for(request.user, person_id)
    names = {"name": person.display_name}
    _toggle_follow(
        request,
        {"user": person},
        followed=_("Vous suivez %(name)s : ses publications arrivent dans votre fil.") % names,
        unfollowed=_("Vous ne suivez plus %(name)s.") % names,
    )
    return redirect(_next_url(request, reverse("accounts:profile", args=[person.pk])))
