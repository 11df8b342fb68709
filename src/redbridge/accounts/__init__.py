"""Accounts: signup, login, sessions, profiles, and the social graph."""
