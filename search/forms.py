"""The search page's form: the words, and the filters the API takes too."""

from django import forms
from django.utils.translation import gettext_lazy as _

from search import backend, selectors

KIND_CHOICES = [("", _("Tous les types")), *selectors.SECTIONS.items()]
ORDER_CHOICES = [("newest", _("Les plus récents")), ("relevance", _("Les plus pertinents"))]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher"),
        max_length=backend.QUERY_MAX_LENGTH,
        strip=True,
        error_messages={
            "required": _("Saisissez un ou plusieurs mots."),
            "max_length": _("Au plus %(limit_value)d caractères."),
        },
    )
    kind = forms.ChoiceField(label=_("Type"), choices=KIND_CHOICES, required=False)
    group = forms.TypedChoiceField(label=_("Groupe"), coerce=int, required=False, empty_value=None)
    author = forms.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, widget=forms.HiddenInput
    )
    after = forms.DateField(
        label=_("Depuis le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.DateField(
        label=_("Jusqu'au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order = forms.ChoiceField(label=_("Ordre"), choices=ORDER_CHOICES, required=False)
    cursor = forms.RegexField(
        regex=selectors.CURSOR_PATTERN, max_length=40, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("Tous les groupes"))] + [
            (g.pk, g.name) for g in groups
        ]

    def full_clean(self):
        super().full_clean()
        # Errors are announced with their field (RGAA): aria-describedby names the list.
        for name in self.errors:
            if name in self.fields and name != "q":
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-erreurs"}
                )

    def clean(self):
        data = super().clean()
        after, before = data.get("after"), data.get("before")
        if after and before and after > before:
            self.add_error("before", _("La date de fin doit suivre la date de début."))
        return data

    def filters(self) -> selectors.Filters:
        data = self.cleaned_data
        return selectors.Filters(
            kind=data.get("kind") or None,
            group=data.get("group"),
            author=data.get("author"),
            after=data.get("after"),
            before=data.get("before"),
            order=data.get("order") or "newest",
            cursor=data.get("cursor") or None,
        )
