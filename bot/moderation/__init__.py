"""Comment moderation: a chat-agnostic classifier (no aiogram / vkbottle imports here)."""

from .classifier import CATEGORIES, Classifier, Verdict, classify_stream, load_default, mark

__all__ = ["CATEGORIES", "Classifier", "Verdict", "classify_stream", "load_default", "mark"]
