"""Posts, comments, mentions and feeds (filled by the groups and feeds issue)."""
