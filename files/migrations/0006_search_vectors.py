"""Search: search vectors (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0005_fileshare_item"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        search.operations.AddSearchVector(
            table="files_file",
            fields=[('name', 'A'), ('description', 'B')],
            index="files_file_search",
        ),
    ]
