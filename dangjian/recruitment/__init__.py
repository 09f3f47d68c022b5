"""Member development (发展党员): the 25 steps of RULES.md §1, versioned checks, votes, plans and reminders."""
