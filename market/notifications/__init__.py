"""Delivering business events (market/events/) to people and systems: in-app notifications, email by each
person's preferences, signed webhooks; one channel interface for all of them (channels.py)."""
