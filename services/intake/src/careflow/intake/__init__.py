"""CareFlow intake: owns cases, from a resident's form or a professional's creation to closing."""
