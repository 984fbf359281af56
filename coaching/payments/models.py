"""Models of the payments feature (added with its migration)."""
