"""Search: contribution search index (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_text_search_configuration"),
        ("consultations", "0001_initial"),
    ]

    operations = [
        search.operations.AddSearchIndex(
            table="consultations_contribution",
            fields=[("title", "A"), ("body", "B"), ("place", "C")],
            index="search_contribution_document",
        ),
    ]
