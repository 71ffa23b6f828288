"""Factories shared by every test: one per model, with sensible defaults per kind of user."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import Organisation, User

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Start-up {n}")
    type = Organisation.Type.STARTUP


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    handle = factory.Sequence(lambda n: f"person{n}")
    display_name = factory.Faker("name", locale="fr_FR")
    kind = User.Kind.STAFF
    job_title = "Chargé de mission"
    organisation = factory.Maybe(
        factory.SelfAttribute("is_external_kind"),
        yes_declaration=factory.SubFactory(OrganisationFactory),
        no_declaration=None,
    )
    password = factory.django.Password(PASSWORD)

    class Params:
        is_external_kind = factory.LazyAttribute(lambda o: o.kind == User.Kind.EXTERNAL)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)
