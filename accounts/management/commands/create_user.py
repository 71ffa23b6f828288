"""`create_user EMAIL --kind staff|elected|external|citizen [--organisation NAME]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import Organisation, User


class Command(BaseCommand):
    help = "Create an account of the given kind (it gets a password by e-mail or --password)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--kind", required=True, choices=User.Kind.values)
        parser.add_argument("--organisation", help="Name of an existing organisation.")
        parser.add_argument("--name", default="", help="Display name.")
        parser.add_argument("--password", help="Set this password (otherwise none is usable).")
        parser.add_argument("--superuser", action="store_true", help="Administrator (staff only).")

    def handle(self, *args, **options):
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(name=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"Unknown organisation: {options['organisation']}")
        if options["superuser"] and options["kind"] != User.Kind.STAFF:
            raise CommandError("Only staff accounts can be administrators.")
        try:
            user = services.create_user(
                email=options["email"],
                kind=options["kind"],
                organisation=organisation,
                display_name=options["name"],
                password=options["password"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        if options["superuser"]:
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
        self.stdout.write(f"Created {user.kind} account {user.email} (@{user.handle}).")
