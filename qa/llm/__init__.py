"""LLM mode: every part that a chat model does. `LLMAnswerer` answers (its quotes checked and
snapped by qa.citations, the offline answerer its fallback), `ModelCondenser` reads follow-ups,
`ModelProposer` proposes study questions; `chat_model` is the model the settings configure
(OpenAI, any OpenAI-compatible server, or a local GGUF file served by llama.cpp).

Imported only when a model is configured: offline, none of the LLM stack loads.
"""

from qa.llm.answerer import LLMAnswerer
from qa.llm.chat import ModelCondenser, ModelProposer, chat_model

__all__ = ["LLMAnswerer", "ModelCondenser", "ModelProposer", "chat_model"]
