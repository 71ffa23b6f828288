"""The group feed reads the partial index of live posts (post_live_group, 0006): the index on
all posts of a group is dropped, without locking the posts table's writes."""

from django.db import migrations

import search.operations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("social", "0006_post_live_group_index"),
    ]

    operations = [
        search.operations.RemoveIndexConcurrently(
            model_name="post",
            name="post_group_feed",
        ),
    ]
