import json
import re

import pytest

from ibcore.claims import Claims


def _claims(scale, holds):
    c = Claims(chapter="99", scale=scale)
    c.add("1", "a measured thing is small", 0.123456, "< 1", holds)
    c.report("2", "an observed thing", 3.14159)
    return c


def test_check_asserts_at_book_scale(capsys):
    with pytest.raises(AssertionError, match=r"claims \['1'\] do not hold at book scale"):
        _claims("book", False).check()
    _claims("book", True).check()
    out = capsys.readouterr().out
    assert "holds" in out and "observed" in out


def test_check_only_prints_at_smoke_scale(capsys):
    _claims("smoke", False).check()
    assert "not asserted" in capsys.readouterr().out


def test_verdicts_hold_no_measured_digits():
    text = _claims("book", True).verdicts()
    assert "0.1235" not in text and "3.142" not in text
    assert re.search(r"^1\s+a measured thing is small\s+True$", text, re.M)
    assert re.search(r"^2\s+an observed thing\s+reported$", text, re.M)


def test_json_record_has_every_claim():
    record = json.loads(_claims("book", True).to_json())
    assert record["chapter"] == "99"
    assert [c["kind"] for c in record["claims"]] == ["asserted", "reported"]
    assert record["claims"][0]["measured"] == "0.1235"
