"""Search: search vectors (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_alter_meeting_status"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        search.operations.AddSearchVector(
            table="meetings_meeting",
            fields=[('title', 'A'), ('description', 'B'), ('place', 'C')],
            index="meetings_meeting_search",
        ),
        search.operations.AddSearchVector(
            table="meetings_agendaitem",
            fields=[('title', 'A'), ('description', 'B')],
            index="meetings_agendaitem_search",
        ),
        search.operations.AddSearchVector(
            table="meetings_decision",
            fields=[('text', 'B')],
            index="meetings_decision_search",
        ),
    ]
