"""Measurements of the template library (pgvector latency, a million-row scale test):
research scripts, not imported by the portal."""
