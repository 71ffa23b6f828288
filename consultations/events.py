"""What the author of a request is told when it moves: a realtime event and an e-mail.

Issue 8 (notifications) will add the in-app notification rows; until then the socket event
is the in-app signal. Both leave only after commit, and only to the contribution's author.
"""

from django.db import transaction

from consultations import tasks
from consultations.models import Contribution, OfficialAnswer, StatusChange
from notifications import triggers as notification_triggers
from realtime import events as realtime

REQUEST_UPDATED = "consultation.request.updated"


def request_payload(contribution: Contribution) -> dict:
    """What the author may see of their request: status and public answers, nothing internal."""
    return {
        "contribution": contribution.pk,
        "consultation": contribution.consultation_id,
        "title": contribution.title,
        "status": contribution.status,
        "status_label": str(contribution.get_status_display()) if contribution.status else "",
        "rejection_reason": contribution.rejection_reason,
    }


def _notify(contribution: Contribution, kind: str, object_id: int) -> None:
    if contribution.author_id is None:
        return
    realtime.publish(
        [contribution.author_id], REQUEST_UPDATED, {**request_payload(contribution), "kind": kind}
    )
    transaction.on_commit(
        lambda: tasks.send_request_email.delay(contribution.pk, kind, object_id), robust=True
    )
    notification_triggers.consultation_request_updated(contribution, kind)


def status_changed(contribution: Contribution, change: StatusChange) -> None:
    """The author is told of the new status, after commit."""
    _notify(contribution, "status", change.pk)


def answered(contribution: Contribution, answer: OfficialAnswer) -> None:
    """The author is told of the official answer, after commit."""
    _notify(contribution, "answer", answer.pk)
