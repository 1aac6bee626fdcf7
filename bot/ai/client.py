"""The OpenAI-compatible chat-completions client (OpenAI, Azure OpenAI, Ollama, vLLM) over httpx.

The httpx client is opened and closed by the composition root and passed in. Every way a call can
fail ends in `LLMError` with a short reason; neither the messages nor the reply body ever go into
an exception or a log line.
"""

from __future__ import annotations

import json
import logging

import httpx

from bot.config import Settings
from bot.ports import LLM

log = logging.getLogger(__name__)


class LLMError(Exception):
    """The model gave no usable answer. `reason` is a short kind (timeout, http_503, malformed, …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatCompletions:
    """`POST {base_url}/chat/completions` with a bearer key; returns the first choice's text."""

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, api_key: str, model: str, timeout: float = 10.0
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._model = model
        self._timeout = timeout

    async def complete(self, messages: list[dict[str, str]]) -> str:
        body = {"model": self._model, "messages": messages, "temperature": 0.2}
        try:
            response = await self._http.post(
                self._url, json=body, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise LLMError("timeout") from None
        except httpx.HTTPError as error:
            raise LLMError(f"transport_{type(error).__name__}") from None
        if response.status_code != 200:
            raise LLMError(f"http_{response.status_code}")
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise LLMError("malformed_json") from None
        return _first_choice(payload)


def _first_choice(payload: object) -> str:
    """The text of choices[0].message.content, or LLMError for any other shape."""
    if not isinstance(payload, dict):
        raise LLMError("malformed_reply")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices:
        raise LLMError("no_choices")
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise LLMError("malformed_reply")
    if not content.strip():
        raise LLMError("empty_reply")
    return content


def llm_configured(settings: Settings) -> bool:
    """True when all three LLM settings are given (the composition root then opens an httpx client)."""
    return bool(settings.llm_base_url and settings.llm_api_key.get_secret_value() and settings.llm_model)


def llm_from_settings(settings: Settings, http: httpx.AsyncClient) -> LLM | None:
    """The configured model, or None unless CHAMPBOT_LLM_BASE_URL, _API_KEY and _MODEL are all set."""
    key = settings.llm_api_key.get_secret_value()
    if not llm_configured(settings):
        if settings.llm_base_url or key or settings.llm_model:
            log.warning("AI drafts are off: set all of CHAMPBOT_LLM_BASE_URL, _API_KEY and _MODEL")
        return None
    return ChatCompletions(
        http,
        base_url=settings.llm_base_url,
        api_key=key,
        model=settings.llm_model,
        timeout=settings.llm_timeout,
    )
