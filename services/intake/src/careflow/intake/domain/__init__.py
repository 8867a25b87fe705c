"""Intake's pure rules: no I/O, no frameworks, no contracts."""
