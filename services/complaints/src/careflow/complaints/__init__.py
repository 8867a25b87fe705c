"""Residents' feedback and complaints, routed to the right clinic or patient board."""
