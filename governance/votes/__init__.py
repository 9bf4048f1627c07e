"""Ballots, electoral rolls, casting and counting (built in the ballots issue)."""
