"""CareFlow work queue service."""
