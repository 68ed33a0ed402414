"""Text XML 1.0 can hold (every writer of XML and XLSX files goes through it)."""

from __future__ import annotations

import re

_NOT_XML = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ud800-\\udfff\\ufffe\\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters but tab, CR and
    LF; lone surrogates; U+FFFE and U+FFFF): a name typed with one made every XLSX export with
    it answer 500 and the Microsoft Project export not well-formed."""
    return _NOT_XML.sub("", text) if _NOT_XML.search(text) else text
