"""Scoring on scheduling's on-commit booking events (`scheduling/events.py`)."""
