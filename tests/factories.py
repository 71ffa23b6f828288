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


class GroupFactory(factory.django.DjangoModelFactory):
    """A public group; its creator is its owner unless `owner=False`."""

    class Meta:
        model = "groups.Group"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Groupe {n}")
    slug = factory.Sequence(lambda n: f"groupe-{n}")
    description = "Un groupe de travail de l'agence."
    visibility = "public"
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner(self, create, extracted, **kwargs):
        if create and extracted is not False:
            MembershipFactory(group=self, user=self.created_by, role="owner")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "groups.Membership"

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(UserFactory)
    role = "member"
