"""Search: the file's search vector also reads the text found inside its current version
(PostgreSQL; see search/operations.py and files/texts.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0007_file_text"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        # A generated column's expression cannot change: drop it, then add it back.
        search.operations.RemoveSearchVector(
            table="files_file",
            fields=[("name", "A"), ("description", "B")],
            index="files_file_search",
        ),
        search.operations.AddVectorColumn(table="files_file", column="content_vector"),
        search.operations.AddSearchVector(
            table="files_file",
            fields=[("name", "A"), ("description", "B")],
            vectors=["content_vector"],
            index="files_file_search",
        ),
    ]
