"""Thematic groups, memberships and invitations (filled by the groups issue)."""
