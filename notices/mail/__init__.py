"""Inbound email: the mailbox the platforms answer to, its triage queue and uploads."""
