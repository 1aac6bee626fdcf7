"""Anonymous questions: asking, sessions, moderation and closing the loop."""
