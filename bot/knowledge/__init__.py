"""The knowledge base as a feature; its service lives in `bot.services.knowledge`."""
