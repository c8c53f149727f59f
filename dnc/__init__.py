"""Do-not-call lists: registry imports, audit trail, and the in-memory index used at dial time."""
