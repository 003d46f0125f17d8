"""iWmo and iJw berichten checked against the XSDs of their release, as the iStandaarden publish them.

The XSDs are in `pipelines/bronze/xsd/<standard>/<release>/<message>.xsd` (origin and licence in its
SOURCES.md). Each is compiled once per process, on the first bericht of its namespace: compiling one takes
milliseconds, validating a parsed bericht against it microseconds. A release or message without XSDs here is
read unvalidated, and said so once per process in the log.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from lxml import etree

XSD_FOLDER = Path(__file__).parent / "xsd"
LOG = logging.getLogger(__name__)


@cache
def schema(standard: str, release: str, message: str) -> etree.XMLSchema | None:
    """The compiled XSD of one message of a release (standard "iwmo", release "3_2", message "wmo301"), or None
    when the repository holds none."""
    path = XSD_FOLDER / standard / release / f"{message}.xsd"
    if not path.exists():
        _say_unvalidated(not_validated(standard, release, message))
        return None
    return etree.XMLSchema(etree.parse(str(path)))


def not_validated(standard: str, release: str, message: str) -> str:
    """Why a bericht is read without validation: no XSDs of its release, or none of its message."""
    name = {"iwmo": "iWmo", "ijw": "iJw"}[standard]
    version = release.replace("_", ".")
    if not (XSD_FOLDER / standard / release).is_dir():
        return f"not validated: no XSD for {name} {version}"
    return f"not validated: no XSD for {name} {version} {message.upper()}"


@cache
def _say_unvalidated(reason: str) -> None:
    LOG.warning(f"{reason} (XSDs are read from {XSD_FOLDER})")


def first_violation(schema: etree.XMLSchema, root) -> str | None:
    """The first way a parsed bericht breaks its XSD, with its line; None when it validates."""
    if schema.validate(root):
        return None
    error = schema.error_log[0]
    return f"line {error.line}: {error.message}"
