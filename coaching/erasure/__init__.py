"""Leaving Tandem: account deletion after a cooling-off period, couples who part, retention."""
