"""Models of the matching feature (added with its migration)."""
