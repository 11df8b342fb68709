from __future__ import annotations

from pathlib import Path

import pytest

from redbridge.translation.glossary import Glossary, default_glossary
from tests.translation.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("ct2") / "opus-mt-tiny")


@pytest.fixture(scope="session")
def nllb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("ct2") / "nllb-tiny", family="nllb")


@pytest.fixture(scope="session")
def glossary() -> Glossary:
    return default_glossary()
