"""Users, accounts, API tokens and `authz`, the one place for every rule of who may see or do what."""
