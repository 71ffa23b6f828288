"""Forms of the social pages: they parse and render; the rules live in social.services."""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from files import selectors as file_selectors
from social.models import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, Post
from social.services import POLL_MAX_OPTIONS, POLL_OPTION_MAX_LENGTH

POLL_VISIBLE_OPTIONS = 4


def _markdown_help(limit: int) -> str:
    return gettext(
        "Markdown accepté (**gras**, *italique*, listes, liens). Mentionnez une personne avec "
        "@identifiant, ajoutez un sujet avec #mot. %(limit)s caractères au plus."
    ) % {"limit": f"{limit:,}".replace(",", "\u202f")}


def _body_field(*, label, limit: int, required: bool = True, rows: int = 4) -> forms.CharField:
    # Length and emptiness are checked by the service, whose French messages are the reference;
    # the browser is told the limit so it never lets more through.
    attrs = {"rows": rows, "maxlength": limit}
    if required:
        attrs["required"] = True
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=attrs),
        help_text=lazy(_markdown_help, str)(limit),
    )


class MentionsMixin:
    """Turns the body into a textarea with @mention suggestions (static/js/composer.js)."""

    def __init__(self, *args, mentions_url: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if mentions_url:
            self.fields["body"].widget.attrs.update(
                {
                    "data-mentions-url": mentions_url,
                    "aria-autocomplete": "list",
                    "data-mentions-label": gettext("Personnes à mentionner"),
                    "data-mentions-help": gettext(
                        "suggestions : flèches haut et bas pour choisir, Entrée pour insérer, "
                        "Échap pour fermer."
                    ),
                    "data-mentions-none": gettext("Aucune personne à mentionner ne correspond."),
                    "data-mentions-inserted": gettext("Mention insérée :"),
                }
            )


def apply_errors(form: forms.Form, error: ValidationError, *, aliases: dict | None = None) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        field = aliases.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


# The composer's file input, used only without JavaScript: with it, static/js/uploads.js sends
# each file through the API as soon as it is chosen and adds its id as an `attachments` input.
UPLOADS_FIELD = "attachment_uploads"
_FILE_ID = re.compile(r"[0-9]{1,18}")


class AttachmentsField(forms.Field):
    """Ids of files already uploaded (one hidden input, or one checkbox, per file)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Un fichier joint n’est pas valide : envoyez-le de nouveau."),
        "too_many": _("Joignez %(max)s fichiers au plus à une publication."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > file_selectors.ATTACHMENTS_MAX:
            raise ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"max": file_selectors.ATTACHMENTS_MAX},
            )
        if not all(isinstance(v, str | int) and _FILE_ID.fullmatch(str(v)) for v in values):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(int(v) for v in values))


class PostForm(MentionsMixin, forms.Form):
    """The composer: a group post (every kind) or a profile post (no announcement), with the
    author's files attached (`author` given: files uploaded already, or sent with the form)."""

    body = _body_field(label=_("Votre message"), limit=POST_MAX_LENGTH)
    kind = forms.ChoiceField(
        label=_("Type de publication"),
        choices=Post.Kind.choices,
        initial=Post.Kind.PLAIN,
        widget=forms.RadioSelect,
    )
    pinned_until = forms.DateField(
        label=_("Épinglée jusqu’au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("L’annonce reste en tête du fil du groupe jusqu’à la fin de ce jour."),
    )
    attachments = AttachmentsField(label=_("Fichiers joints"), required=False)

    def __init__(self, *args, group=None, author=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        self.author = author
        if group is None:
            self.fields["kind"].choices = [
                c for c in Post.Kind.choices if c[0] != Post.Kind.ANNOUNCEMENT
            ]
        for n in range(1, POLL_MAX_OPTIONS + 1):
            self.fields[f"poll_option_{n}"] = forms.CharField(
                label=_("Réponse %(n)s") % {"n": n},
                required=False,
                widget=forms.TextInput(attrs={"maxlength": POLL_OPTION_MAX_LENGTH}),
            )

    def clean_attachments(self) -> list:
        ids = self.cleaned_data["attachments"]
        if ids and self.author is None:
            raise ValidationError(self.fields["attachments"].error_messages["invalid"])
        try:
            return file_selectors.attachable_files(self.author, ids)
        except ValidationError as error:
            raise ValidationError(error.message_dict["attachments"]) from None

    def clean(self) -> dict:
        data = super().clean()
        # Files sent with the form (no JavaScript): stored by the view with the post.
        data["uploads"] = self.files.getlist(UPLOADS_FIELD) if self.author is not None else []
        attached = len(data.get("attachments") or []) + len(data["uploads"])
        if attached > file_selectors.ATTACHMENTS_MAX:
            self.add_error(
                "attachments",
                ValidationError(
                    self.fields["attachments"].error_messages["too_many"],
                    code="too_many",
                    params={"max": file_selectors.ATTACHMENTS_MAX},
                ),
            )
        return data

    @property
    def attached_files(self) -> list:
        """Files already attached, shown again (checked) when the form comes back with errors."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return []
        return self.cleaned_data.get("attachments") or []

    @property
    def poll_fields(self) -> list:
        return [self[f"poll_option_{n}"] for n in range(1, POLL_MAX_OPTIONS + 1)]

    @property
    def visible_poll_fields(self) -> list:
        return self.poll_fields[:POLL_VISIBLE_OPTIONS]

    @property
    def more_poll_fields(self) -> list:
        return self.poll_fields[POLL_VISIBLE_OPTIONS:]

    @property
    def more_poll_filled(self) -> bool:
        return any(f.value() or f.errors for f in self.more_poll_fields)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        arguments = {"body": data["body"], "kind": kind}
        if kind == Post.Kind.POLL:
            arguments["poll_options"] = [
                data.get(f"poll_option_{n}", "") for n in range(1, POLL_MAX_OPTIONS + 1)
            ]
        if kind == Post.Kind.ANNOUNCEMENT and data.get("pinned_until"):
            # "Pinned until 12 March" includes the 12th: until the next midnight, local time.
            day = data["pinned_until"] + timedelta(days=1)
            arguments["pinned_until"] = timezone.make_aware(datetime.combine(day, time.min))
        return arguments


ERROR_ALIASES = {"poll_options": "poll_option_1"}


class CommentForm(MentionsMixin, forms.Form):
    body = _body_field(label=_("Votre commentaire"), limit=COMMENT_MAX_LENGTH, rows=3)


class EditPostForm(MentionsMixin, forms.Form):
    body = _body_field(label=_("Texte de la publication"), limit=POST_MAX_LENGTH, rows=8)


class EditCommentForm(MentionsMixin, forms.Form):
    body = _body_field(label=_("Texte du commentaire"), limit=COMMENT_MAX_LENGTH, rows=5)


class ShareForm(forms.Form):
    group = forms.ModelChoiceField(
        label=_("Partager dans le groupe"),
        queryset=None,
        empty_label=None,
        error_messages={
            "invalid_choice": _("Vous ne pouvez pas partager cette publication dans ce groupe."),
            "required": _("Choisissez un groupe."),
        },
    )
    body = forms.CharField(
        label=_("Ajouter un mot (facultatif)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": POST_MAX_LENGTH}),
    )

    def __init__(self, *args, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
