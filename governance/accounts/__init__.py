"""Accounts: sign-in, sessions, roles, and the link between an account and its register entry."""
