"""Accounts, API keys, buyer organisations, and the principal a request acts as."""
