"""Users, kinds of user, organisations, directory profiles and API tokens."""
