"""The generator role: messages -> the text an OpenAI-compatible chat server wrote.

``OpenAIChatGenerator`` POSTs to ``{base_url}/chat/completions`` (Ollama,
llama.cpp, vLLM, ...) at temperature 0 and returns the reply's content with
any ``<think>...</think>`` reasoning removed.

Guarantees:
- ``complete`` returns a non-empty string or raises ``GenerationError``
  whose ``str()`` is "<code>: <message>" (timeout, unreachable, http_error,
  malformed, empty), the form ``Answer.fallback_reason`` takes;
- the HTTP client ignores proxy environment variables (configuration is the
  Settings class only), and ``llm_timeout_s`` is httpx's per-operation
  timeout (connect, each read), which bounds a server that does not answer;
- ``generator_from_settings`` returns None when no LLM is configured, so
  callers never build a client they will not use.
"""

from __future__ import annotations

import re
from typing import Protocol

import httpx


class GenerationError(Exception):
    """The LLM gave no usable answer. ``str()`` is "<code>: <message>", the
    form ``Answer.fallback_reason`` takes."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnverifiedAnswer(GenerationError):
    """The LLM answered, but the answer broke a truth rule."""

    def __init__(self, message: str):
        super().__init__("unverified", message)


class Generator(Protocol):
    name: str  # "llm:<model>", reported as Answer.generator

    def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str: ...


_THINKING = re.compile(r"(?s)<think>.*?</think>")  # reasoning models (deepseek-r1 on Ollama) put this in content


class OpenAIChatGenerator:
    """POST {base_url}/chat/completions, temperature 0."""

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 30.0, max_tokens: int = 600):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"llm:{model}"
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), headers=headers, trust_env=False)

    def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens or self.max_tokens,
        }
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise GenerationError("timeout", f"LLM did not answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as err:
            raise GenerationError("unreachable", f"cannot reach the LLM at {self.url} ({type(err).__name__})") from None
        if not response.is_success:
            raise GenerationError("http_error", f"LLM server answered HTTP {response.status_code}")
        return _content(response)

    def close(self) -> None:
        self._client.close()


def _content(response: httpx.Response) -> str:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except ValueError:
        raise GenerationError("malformed", "LLM reply is not JSON") from None
    except (KeyError, IndexError, TypeError):
        raise GenerationError("malformed", "LLM reply has no choices[0].message.content") from None
    if not isinstance(content, str) or not _THINKING.sub("", content).strip():
        raise GenerationError("empty", "LLM returned an empty answer")
    return _THINKING.sub("", content).strip()


def generator_from_settings(settings) -> Generator | None:
    """The configured generator, or None when no LLM is configured."""
    if not settings.llm_enabled:
        return None
    return OpenAIChatGenerator(
        settings.llm_base_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )
