"""CareFlow event contracts: envelope, topic registry and versioned event models."""
