"""HR campaigns: `nudge schedule <audience> <when> <what>`, fanned out through the outbox."""
