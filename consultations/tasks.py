"""Background jobs of consultations (inline when no broker is configured)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from consultations.models import Contribution, OfficialAnswer, StatusChange
from notifications.emails import language_of


@shared_task(ignore_result=True)
def send_request_email(contribution_id: int, kind: str, object_id: int) -> None:
    """E-mail the author of a request about a status change ("status") or an answer ("answer")."""
    contribution = (
        Contribution.objects.select_related("author", "consultation")
        .filter(pk=contribution_id)
        .first()
    )
    author = contribution.author if contribution else None
    if author is None or not author.is_active or not author.email:
        return
    # In the language the resident chose for e-mails (notification preferences).
    with translation.override(language_of(author)):
        if kind == "answer":
            answer = OfficialAnswer.objects.filter(pk=object_id).first()
            if answer is None:
                return
            subject = _("Réponse à votre contribution « %(title)s »") % {
                "title": contribution.title[:80]
            }
            body = _(
                "Bonjour,\n\n%(signed)s a répondu à votre contribution « %(title)s » "
                "(consultation « %(consultation)s ») :\n\n%(text)s\n"
            ) % {
                "signed": answer.signed_by,
                "title": contribution.title,
                "consultation": contribution.consultation.title,
                "text": answer.text,
            }
        else:
            change = StatusChange.objects.filter(pk=object_id).first()
            if change is None:
                return
            subject = _("Votre demande « %(title)s » : %(status)s") % {
                "title": contribution.title[:80],
                "status": change.get_to_status_display(),
            }
            body = _(
                "Bonjour,\n\nVotre demande « %(title)s » (consultation « %(consultation)s ») "
                "a maintenant le statut : %(status)s.\n"
            ) % {
                "title": contribution.title,
                "consultation": contribution.consultation.title,
                "status": change.get_to_status_display(),
            }
            if change.reason:
                body += _("Motif : %(reason)s\n") % {"reason": change.reason}
        send_mail(
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body,
            None,
            [author.email],
        )
