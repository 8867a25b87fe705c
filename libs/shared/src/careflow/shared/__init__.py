"""CareFlow platform library: infrastructure only, no business rules."""
