"""Database models of the triage site (none yet)."""
