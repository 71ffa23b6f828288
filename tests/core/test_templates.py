"""Template hygiene that Django does not check itself."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_comment_spans_lines():
    """`{# … #}` is a comment on one line only: across lines Django prints it on the page."""
    broken = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\{#[^}]*\n", path.read_text())
    ]
    assert broken == []
