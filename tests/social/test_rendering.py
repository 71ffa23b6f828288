"""User text: Markdown rendered once, sanitised, with @mentions and #topics as links."""

import re

import pytest
from django.urls import reverse

from social import rendering

MARIE = {"marie": "/annuaire/7/"}


def render(body: str, mentions: dict[str, str] | None = None) -> str:
    return rendering.render(body, mention_urls=mentions)


def links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]*)"', html)


def tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)[\s>/]", html))


# --- Sanitising -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        "<iframe src=https://example.com></iframe>",
        "<style>body{display:none}</style>",
        '<div style="position:fixed">x</div>',
        "<svg><script>alert(1)</script></svg>",
        "texte <b>gras</b> <!-- commentaire -->",
        "```html\n<script>alert(1)</script>\n```",
    ],
)
def test_raw_html_is_shown_as_text_never_run(body):
    html = render(body)
    assert tags(html) <= rendering.ALLOWED_TAGS
    assert not re.search(r"<(script|img|iframe|style|div|svg|b)\b", html)
    for tag in re.findall(r"<[a-z][^>]*>", html):
        assert not re.search(r"\s(on\w+|style)=", tag), tag


@pytest.mark.parametrize(
    "body",
    [
        "[clic](javascript:alert(1))",
        "[clic](JaVaScRiPt:alert(1))",
        "[clic]( javascript:alert(1))",
        "[clic](javascript&#58;alert(1))",
        "[clic](&#106;avascript:alert(1))",
        "[clic](vbscript:msgbox(1))",
        "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "[clic][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_links_never_carry_a_script(body):
    html = render(body)
    for href in links(html):
        assert href.startswith(("http://", "https://", "mailto:", "/")), href
    assert not [href for href in links(html) if "script" in href.lower() or "data:" in href]


def test_links_are_marked_nofollow_and_noopener():
    html = render("Voir [le site](https://example.com) et <https://example.org/page>")
    anchors = re.findall(r"<a [^>]*>", html)
    assert len(anchors) == 2
    for anchor in anchors:
        rel = re.search(r'rel="([^"]*)"', anchor).group(1).split()
        assert {"nofollow", "noopener"} <= set(rel)


def test_images_are_not_loaded_from_elsewhere():
    html = render("![pixel](https://tracker.example/pixel.png)")
    assert "<img" not in html
    assert "tracker.example" not in links(html)


@pytest.mark.parametrize(("level", "expected"), [(1, "h3"), (2, "h3"), (3, "h3"), (4, "h4")])
def test_headings_start_below_the_page_s_own(level, expected):
    html = render("#" * level + " Titre")
    assert f"<{expected}>Titre</{expected}>" in html
    assert "<h1" not in html
    assert "<h2" not in html


def test_markdown_basics_survive_sanitising():
    html = render("**gras** *penché* ~~barré~~\n\n- un\n- deux\n\n> cité\n\n`code`")
    for tag in ("strong", "em", "s", "ul", "li", "blockquote", "code"):
        assert f"<{tag}" in html or (tag == "s" and "<del" in html), tag


# --- Mentions -------------------------------------------------------------------------------


def test_a_mention_of_a_known_handle_becomes_a_link_to_the_profile():
    html = render("Merci @marie !", MARIE)
    assert '<a class="mention" href="/annuaire/7/"' in html
    assert ">@marie</a>" in html


def test_a_mention_that_the_author_may_not_see_stays_plain_text():
    html = render("Merci @marie et @inconnu", MARIE)
    assert html.count('class="mention"') == 1
    assert "@inconnu" in html


def test_a_mention_ending_a_sentence_keeps_its_full_stop_outside():
    html = render("Voir avec @marie.", MARIE)
    assert ">@marie</a>." in html
    assert rendering.mentioned_handles("Voir avec @marie.") == ["marie"]


@pytest.mark.parametrize(
    "body",
    [
        "Écrire à marie@example.com",
        "Écrire à contact@marie.fr",
        "`@marie`",
        "```\n@marie\n```",
        "    @marie (bloc de code indenté)",
        "[@marie](https://example.com)",
        "<https://mastodon.example/@marie>",
        "https://mastodon.example/@marie",
    ],
)
def test_e_mail_addresses_code_links_and_urls_hold_no_mention(body):
    assert 'class="mention"' not in render(body, MARIE)
    assert rendering.mentioned_handles(body) == []


def test_handles_are_read_case_insensitively_and_once():
    assert rendering.mentioned_handles("@Marie @marie @MARIE, @olivier.") == ["marie", "olivier"]
    assert 'class="mention"' in render("@Marie", MARIE)


def test_a_mention_url_is_escaped():
    html = render("@marie", {"marie": '/x/"><script>alert(1)</script>'})
    assert "<script" not in html


# --- Topics ---------------------------------------------------------------------------------


def test_a_topic_becomes_a_link_to_its_page():
    html = render("Salon #cloud demain")
    assert f'<a class="topic" href="{reverse("social:topic", args=["cloud"])}"' in html
    assert rendering.topic_names("Salon #cloud demain") == ["cloud"]


@pytest.mark.parametrize(
    ("body", "name"),
    [("#économie", "économie"), ("#Économie", "économie"), ("#zone-royeux", "zone-royeux")],
)
def test_topics_keep_their_accents_and_are_lower_cased(body, name):
    assert rendering.topic_names(f"Point {body} !") == [name]
    html = render(f"Point {body} !")
    assert f'href="{reverse("social:topic", args=[name])}"' in html
    assert f">{body}</a>" in html


@pytest.mark.parametrize(
    "body",
    [
        "https://example.com/page#section",
        "https://example.com/#section",
        "https://example.com/?q=1#section",
        "https://example.com/?q=#section",
        "https://example.com/a-#section",
        "[lien](https://example.com/#section)",
        "<https://example.com/#section>",
        "`#section`",
        "```\n#include <stdio.h>\n```",
        "Programmer en C# ou F#",
        "Numéro ## 2",
    ],
)
def test_a_hash_in_a_url_code_or_word_is_no_topic(body):
    assert rendering.topic_names(body) == []
    assert 'class="topic"' not in render(body)


def test_topics_are_read_once_and_in_order():
    assert rendering.topic_names("#cloud #Emploi #CLOUD #implantation") == [
        "cloud",
        "emploi",
        "implantation",
    ]


def test_a_topic_name_has_at_most_fifty_characters():
    long = "x" * 80
    names = rendering.topic_names(f"#{long}")
    assert all(len(name) <= 50 for name in names)


def test_mentions_and_topics_next_to_each_other_both_link():
    html = render("@marie #cloud", MARIE)
    assert 'class="mention"' in html
    assert 'class="topic"' in html


SAMPLES = [
    "**@marie** et _#cloud_",
    "# Titre #cloud\n\n> @marie cité",
    "- @marie\n- #emploi\n- `@olivier #code`",
    "| a | b |\n|---|---|\n| @marie | #cloud |",
    "Voir https://example.com/#x et [@olivier](https://example.com) puis @marie.",
    "```\n@olivier #code\n```\n\n@marie #implantation",
    "(@marie) [#cloud] «#économie» @olivier, #zone-royeux!",
]


@pytest.mark.parametrize("body", SAMPLES)
def test_what_is_linked_is_exactly_what_is_recorded(body):
    """Mentions and topics recorded on a post are the ones its readers see as links."""
    handles = rendering.mentioned_handles(body)
    urls = {handle: f"/annuaire/{handle}/" for handle in ["marie", "olivier", *handles]}
    html = render(body, urls)
    linked_handles = re.findall(r'class="mention" href="/annuaire/([^/]+)/"', html)
    assert sorted(set(linked_handles)) == sorted(handles)
    linked_topics = re.findall(r'class="topic" href="/sujets/([^/]+)/"', html)
    expected = [
        reverse("social:topic", args=[t]).split("/")[2] for t in rendering.topic_names(body)
    ]
    assert sorted(set(linked_topics)) == sorted(expected)
