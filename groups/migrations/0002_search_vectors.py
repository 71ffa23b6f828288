"""Search: search vectors (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_initial"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        search.operations.AddSearchVector(
            table="groups_group",
            fields=[('name', 'A'), ('description', 'B')],
            index="groups_group_search",
        ),
    ]
