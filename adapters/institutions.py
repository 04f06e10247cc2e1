"""The register of 特困 support institutions (reference data, ``domain/data/institutions_<county>.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from domain.programmes.tekun.institutions import InstitutionRegister

DEFAULT_REGISTER = Path(__file__).resolve().parent.parent / "domain" / "data" / "institutions_532302.json"


@lru_cache(maxsize=4)
def load_register(path: Path = DEFAULT_REGISTER) -> InstitutionRegister:
    return InstitutionRegister.model_validate(json.loads(path.read_text(encoding="utf-8")))
