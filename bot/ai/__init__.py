"""AI-drafted answers: an OpenAI-compatible chat-completions client and retrieval-grounded drafting."""

from bot.ai.client import ChatCompletions, LLMError, llm_configured, llm_from_settings
from bot.ai.draft import build_messages, draft_answer

__all__ = [
    "ChatCompletions",
    "LLMError",
    "build_messages",
    "draft_answer",
    "llm_configured",
    "llm_from_settings",
]
