"""Search: text search configuration (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
    ]

    operations = [
        search.operations.CreateTextSearchConfiguration(),
    ]
