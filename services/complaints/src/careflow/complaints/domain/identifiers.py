"""HSA-ids (the national health-care directory id) and region codes."""

from __future__ import annotations

import re

#: e.g. SE2321000016-15CQ: country, the issuing organisation's number, a local part.
HSA_ID_PATTERN = r"^SE[0-9]{10}-[A-Za-z0-9]{1,24}$"
#: The two-digit administrative region code (e.g. 01 Stockholm, 14 Västra Götaland).
REGION_CODE_PATTERN = r"^[0-9]{2}$"

_HSA_ID = re.compile(HSA_ID_PATTERN)


def is_hsa_id(text: str) -> bool:
    return _HSA_ID.fullmatch(text) is not None
