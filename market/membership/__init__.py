"""Organisations joining and working as teams: sign-up and review, members and roles, integration keys and
personal data. Builds on accounts (people, sessions) and catalog (producers)."""
