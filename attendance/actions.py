"""Acting on the risk: extra reminders, confirm-or-release, standby (see docs/architecture.md)."""
