"""`python manage.py load_demo`: the demo agency's data (idempotent)."""

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, load_demo
from accounts.models import User


class Command(BaseCommand):
    help = "Load (or reset) the demo data; running it twice gives the same data."

    def handle(self, *args, **options):
        by_kind = load_demo()
        labels = dict(User.Kind.choices)
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for kind, emails in by_kind.items():
            self.stdout.write(f"  {labels[kind]}: {', '.join(emails)}")
        self.stdout.write("  (agent1 is also an administrator: /admin/)")
