"""Case messages between a resident and professionals; the on-call chat."""
