"""Boards of directors, mandates and board elections (built in the board elections issue)."""
