"""Search: search vectors (PostgreSQL; see search/operations.py)."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0004_comment_item_thread"),
        ("search", "0001_text_search_configuration"),
    ]

    operations = [
        search.operations.AddSearchVector(
            table="social_post",
            fields=[('body', 'B')],
            index="social_post_search",
        ),
        search.operations.AddSearchVector(
            table="social_comment",
            fields=[('body', 'B')],
            index="social_comment_search",
        ),
        # Newest comments first, for search across every thread (not declared by the model).
        search.operations.AddIndexSQL(
            table="social_comment",
            columns='"created_at" DESC, "id" DESC',
            index="social_comment_recent",
        ),
    ]
