"""Thematic workgroups and their membership (built in the workgroups issue)."""
