"""Branches, the membership register, and roles."""
