"""Notifications in the app, email preferences and webhooks (market/notifications/)."""
