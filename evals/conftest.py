"""The eval suite shares the test suite's fixtures (real model, real Chroma)."""

from tests.conftest import _no_ambient_settings, guide_container  # noqa: F401
