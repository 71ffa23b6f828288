"""`python manage.py load_demo`: the demo agency's data (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, load_demo
from accounts.models import User
from consultations import demo as consultations_demo
from files import demo as files_demo
from meetings import demo as meetings_demo
from messaging import demo as messaging_demo
from social import demo as social_demo


class Command(BaseCommand):
    help = "Load (or reset) the demo data; running it twice gives the same data."

    def handle(self, *args, **options):
        with transaction.atomic():
            by_kind = load_demo()
            social = social_demo.load_demo()
            files = files_demo.load_demo()
            conversations = messaging_demo.load_demo()
            meetings = meetings_demo.load_demo()
            consultation = consultations_demo.load_demo()
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
        self.stdout.write(
            f"Demo conversations: {conversations.conversations}, {conversations.messages} "
            f"messages ({conversations.created} new), some unread for agent1 and startup1."
        )
        self.stdout.write(
            f"Demo meetings: {meetings.meetings} ({meetings.created} new) in the Royeux group, "
            f"{meetings.items} agenda items, {meetings.opinions} positions, "
            f"{meetings.decisions} decisions (one overdue)."
        )
        state = "created" if consultation.created else "already there, refreshed"
        self.stdout.write(
            f"Demo consultation: « {consultation.title} » ({state}) with "
            f"{' and '.join(consultation.officials)}: {consultation.contributions} contributions "
            f"({consultation.contributions_created} new) from the 5 demo citizens, "
            f"{consultation.reported} reported (in the moderation queue), "
            f"{consultation.hidden} hidden, "
            f"{consultation.answered} answered, {consultation.discussed} discussed internally "
            "(moderator: agent6)."
        )
