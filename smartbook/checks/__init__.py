"""SmartBook's own system checks (registered by smartbook.apps)."""
