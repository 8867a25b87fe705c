"""The service kit: what every CareFlow service process is built from."""
