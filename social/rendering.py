"""User text: Markdown rendered once, sanitised, with @mentions and #topics as links."""

import re

import nh3
from django.urls import reverse
from django.utils.html import escape
from markdown_it import MarkdownIt

# `@agent2`, `@claire.martin`: not inside an e-mail address (no word character before).
MENTION_RE = re.compile(r"(?<![\w.@/])@([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)", re.IGNORECASE)
# `#cloud`, `#zone-royeux`; not a URL fragment or an HTML entity.
TOPIC_RE = re.compile(r"(?<![\w&/#])#([^\W_][\w-]{0,48})", re.UNICODE)
# Parts of the rendered HTML where @ and # are never mentions or topics: code, links, bare
# URLs (their fragments), and the tags themselves.
_PROTECTED_RE = re.compile(
    r"(<code>.*?</code>|<pre>.*?</pre>|<a [^>]*>.*?</a>|https?://[^\s<]+|<[^>]+>)", re.S
)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["strikethrough", "table"])

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def mentioned_handles(body: str) -> list[str]:
    """Handles written as @handle, lower-cased, in order, without repeats.

    Read where `render` links them (outside code, links and URLs), so that nobody is
    mentioned, or refused, for an @ the reader sees as code.
    """
    text = _linkable_text(body)
    return list(dict.fromkeys(h.lower().rstrip(".") for h in MENTION_RE.findall(text)))


def topic_names(body: str) -> list[str]:
    """Topics written as #mot, lower-cased, in order, without repeats (where `render` links)."""
    return list(dict.fromkeys(t.lower() for t in TOPIC_RE.findall(_linkable_text(body))))


def _linkable_text(body: str) -> str:
    parts = _PROTECTED_RE.split(_markdown.render(body))
    return " ".join(parts[::2])


def render(body: str, *, mention_urls: dict[str, str] | None = None) -> str:
    """Markdown to safe HTML. `mention_urls` maps handles to profile links (others stay text)."""
    mention_urls = mention_urls or {}
    html = _markdown.render(body)
    # Headings of user text start at h3: the page owns h1 and h2.
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    html = _link_tokens(html, mention_urls)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "class"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def _link_tokens(html: str, mention_urls: dict[str, str]) -> str:
    """Turn @handles and #topics into links, outside tags, links and code."""
    parts = _PROTECTED_RE.split(html)
    for i, part in enumerate(parts):
        if i % 2:  # a tag, a link or code: left as is
            continue

        def mention(match: re.Match) -> str:
            handle = match.group(1).lower().rstrip(".")
            url = mention_urls.get(handle)
            if url is None:
                return match.group(0)
            return f'<a class="mention" href="{escape(url)}">@{escape(match.group(1))}</a>'

        def topic(match: re.Match) -> str:
            url = reverse("social:topic", args=[match.group(1).lower()])
            return f'<a class="topic" href="{escape(url)}">#{escape(match.group(1))}</a>'

        parts[i] = TOPIC_RE.sub(topic, MENTION_RE.sub(mention, part))
    return "".join(parts)
