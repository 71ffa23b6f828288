"""`python manage.py load_demo`: the demo agency's data (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, load_demo
from accounts.models import User
from files import demo as files_demo
from social import demo as social_demo


class Command(BaseCommand):
    help = "Load (or reset) the demo data; running it twice gives the same data."

    def handle(self, *args, **options):
        with transaction.atomic():
            by_kind = load_demo()
            social = social_demo.load_demo()
            files = files_demo.load_demo()
        labels = dict(User.Kind.choices)
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for kind, emails in by_kind.items():
            self.stdout.write(f"  {labels[kind]}: {', '.join(emails)}")
        self.stdout.write("  (agent1 is also an administrator: /admin/)")
        self.stdout.write("Demo groups:")
        for result in social.groups:
            group = result.group
            state = "created" if result.created else "already there, refreshed"
            external = ", open to external members" if group.open_to_external else ""
            self.stdout.write(
                f"  {group.name} (/groupes/{group.slug}/, {group.visibility}{external}): "
                f"{result.members} members, {result.posts} posts — {state}"
            )
        self.stdout.write(
            f"  {social.posts} demo posts ({social.posts_created} new), dated over the last "
            "three weeks."
        )
        self.stdout.write(
            f"Demo files: {files.files} ({files.created} new), {files.versions} versions, "
            "previews computed."
        )
