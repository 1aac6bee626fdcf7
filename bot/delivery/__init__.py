"""The delivery engine: the outbox, platform rate limits, and the workers that drain it."""
