"""Appointment, patient and staff reminders; a durable scheduler hands due sends to notification."""
