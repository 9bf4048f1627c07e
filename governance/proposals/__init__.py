"""Proposals of a workgroup: revisions, co-authors, supports and their states (part of the workgroups issue)."""
