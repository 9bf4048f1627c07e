"""In-app notifications and the email digest of them (a layer above accounts, below workgroups)."""
