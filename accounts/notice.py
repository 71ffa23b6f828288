"""The processing notice citizens accept at sign-up (RGPD, art. 13): its version and text."""

from django.template.loader import render_to_string
from django.utils.functional import lazy
from django.utils.safestring import SafeString

# Change the version whenever the notice's substance changes (purpose, retention, recipients):
# each account records the version it accepted, so the agency knows who read what.
NOTICE_VERSION = "2026-12"
# The longest a citizen's account is kept after their last sign-in (stated in the notice).
RETENTION_YEARS = 3


def render_notice() -> SafeString:
    return render_to_string(
        "accounts/partials/notice.html",
        {"retention_years": RETENTION_YEARS, "version": NOTICE_VERSION},
    )


# For a form's help text, rendered in the language of the request that shows it.
notice_html = lazy(render_notice, SafeString)
