"""The API edge: routes every request to its service, holds the edge's limits, merges the APIs."""
