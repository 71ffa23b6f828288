"""Search: search vectors (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_message_attachments"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        search.operations.AddSearchVector(
            table="messaging_message",
            fields=[('body', 'B')],
            index="messaging_message_search",
        ),
    ]
