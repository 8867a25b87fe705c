"""Database engine, naming conventions, migrations and the unit of work."""
