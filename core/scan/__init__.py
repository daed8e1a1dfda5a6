"""Scanning: walk roots, diff against the database, extract tags/sidecars/facts in isolated workers."""
