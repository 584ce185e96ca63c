"""The classifier as shipped before issue 16 (code and model frozen), the bench's reference.

Measured in the same run as the current one, so every figure has its before-and-after.
"""

from .classifier import Classifier

__all__ = ["Classifier"]
