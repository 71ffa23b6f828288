"""Channel-group names: the one place they are spelled."""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
