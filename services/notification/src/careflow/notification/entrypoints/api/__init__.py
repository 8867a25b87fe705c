"""CareFlow notification service."""
