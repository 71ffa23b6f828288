"""Citizens' text: restricted Markdown, forbidden words, places and answer placeholders."""

import re
import unicodedata
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

# Paragraphs, emphasis, lists and links: no images, no raw HTML, no headings or tables.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.disable(["image", "heading", "lheading", "fence", "code", "html_block", "html_inline"])

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote"}


def render(body: str) -> str:
    """Restricted Markdown to safe HTML; links get rel="nofollow ugc"."""
    return nh3.clean(
        _markdown.render(body),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )


def fold(text: str) -> str:
    """Lower case, without accents, spaces collapsed: how words and places are compared."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def contains_forbidden(text: str, words: Iterable[str]) -> bool:
    """Whether `text` holds one of `words` as a whole word, ignoring case and accents."""
    folded = fold(text)
    for word in words:
        w = fold(word)
        if w and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded):
            return True
    return False


# House numbers: "12", "12bis", "12 ter", "3-5", "n°4", before a street name ("12 rue…",
# "angle du 3 bd…") or at the start. Other numbers stay: "place du 8 Mai 1945".
_STREET_TYPES = (
    r"rue|avenue|av\.?|boulevard|bd|place|pl\.?|all[ée]e|chemin|impasse|quai|cours|route|"
    r"square|passage|chauss[ée]e|voie|sentier|esplanade|parvis|rond-point|cit[ée]|r[ée]sidence"
)
_HOUSE_NUMBER = r"(?:n°\s*)?\d+(?:\s*[-/]\s*\d+)?(?:\s*(?:bis|ter|quater|[a-d])(?!\w))?\s*,?\s*"
_NUMBER_RE = re.compile(
    rf"^\s*{_HOUSE_NUMBER}|(?<!\w){_HOUSE_NUMBER}(?=(?:{_STREET_TYPES})(?!\w))", re.IGNORECASE
)


def generalise_place(place: str) -> str:
    """The place without house numbers ("12 bis rue Victor Hugo" → "rue Victor Hugo")."""
    text = _NUMBER_RE.sub(" ", place or "")
    return " ".join(text.split()).strip(" ,;-")


def place_key(place: str) -> str:
    """A place folded for counting: "12 Rue Victor-Hugo" and "rue victor hugo" are the same."""
    return fold(generalise_place(place).replace("-", " "))


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace {titre}-style placeholders; anything else ({inconnu}, {0}, {a.b}) stays as is."""
    # Not str.format_map: "{titre.__class__}" would reach attributes and a stray "{" would
    # raise. Only bare lower-case names are substituted here.
    known = _KeepUnknown(values)
    return _PLACEHOLDER_RE.sub(lambda m: str(known[m.group(1)]), text)
