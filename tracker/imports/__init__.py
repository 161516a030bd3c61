"""Bulk import of flagged items: a pasted list or an uploaded CSV, imported by a task in chunks."""
