"""Consent-aware email and SMS to residents; new-chat email to professionals."""
