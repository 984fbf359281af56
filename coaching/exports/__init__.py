"""A person's copy of what Tandem holds about them (GDPR Art. 15 and 20)."""
