import json
import math

import pytest

from ibcore.claims import Claims, compare, verdict_by_margin


def _claims(scale="book", value=0.2, control_value=2.0, control="the same codes, permuted"):
    c = Claims(chapter="99", scale=scale, seed=0)
    c.add("small", slide="2", claim="a measured thing is small, far smaller than what its control shows "
          "when the structure it measures has been removed by permutation",
          value=value, op="<", threshold=1.0, unit="nats", control=control,
          control_value=control_value if control else None)
    c.report("obs", slide="3", claim="an observed thing goes the slide's way", value=3.14159, unit="bits",
             op=">", threshold=0.0, verdict="supports", rule="supports if > 0.1")
    return c


@pytest.mark.parametrize("op,value,threshold,expected", [
    ("<", 1.0, 2.0, True), ("<", 2.0, 2.0, False), ("<=", 2.0, 2.0, True), (">", 2.0, 2.0, False),
    (">=", 2.0, 2.0, True), (">", 3.0, 2.0, True), ("<", float("nan"), 2.0, False), ("<", None, 2.0, False),
])
def test_ops(op, value, threshold, expected):
    assert compare(value, op, threshold) is expected


def test_unknown_op_is_refused():
    with pytest.raises(ValueError, match="op must be one of"):
        compare(1.0, "=<", 2.0)


def test_evidence_needs_the_claim_to_hold_and_its_control_to_fail():
    good = _claims().asserted[0]
    assert good.holds and good.control_holds is False and good.evidence and good.verdict == "holds"
    both = _claims(control_value=0.5).asserted[0]  # the control holds too: not evidence
    assert both.holds and both.control_holds and not both.evidence and both.verdict == "control holds"
    fails = _claims(value=5.0).asserted[0]
    assert not fails.holds and not fails.evidence and fails.verdict == "fails"
    bare = _claims(control=None).asserted[0]
    assert bare.holds and not bare.evidence and bare.verdict == "no control"


def test_check_asserts_holds_and_failing_control_at_book_scale(capsys):
    _claims().check()
    with pytest.raises(AssertionError, match=r"\['small'\] are not evidence at book scale"):
        _claims(control_value=0.5).check()
    with pytest.raises(AssertionError, match=r"\['small'\]"):
        _claims(value=5.0).check()


def test_check_only_prints_at_smoke_scale(capsys):
    _claims("smoke", value=5.0).check()
    assert "not asserted" in capsys.readouterr().out


def test_verdict_table_is_narrow_has_no_measured_digits_and_wraps_at_words():
    text = _claims().verdicts()
    assert all(len(line) <= 72 for line in text.splitlines())
    assert "0.2" not in text and "3.14" not in text
    words = set(" ".join(_claims().asserted[0].claim.split()).split())
    for line in text.splitlines():  # no word is cut in two
        for token in line.split():
            assert token in words or token in {"id", "asserted", "claim", "holds", "ctrl", "verdict", "yes",
                                               "no", "fails", "reported", "supports", "small", "obs", "chapter",
                                               "99", "check", "(book", "scale,", "seed", "0)", "-", "control"} \
                or token in " ".join(_claims().reported[0].claim.split()).split()
    first = next(line for line in text.splitlines() if line.startswith("small"))
    assert first.endswith("yes   fails   holds")


def test_json_round_trip_keeps_numbers():
    c = _claims()
    record = json.loads(c.to_json())
    assert record["schema"] == 2 and record["seed"] == 0
    row = record["claims"][0]
    assert row["value"] == 0.2 and row["threshold"] == 1.0 and row["control_value"] == 2.0 and row["op"] == "<"
    assert row["evidence"] is True
    back = Claims.from_json(c.to_json())
    assert back.claims == c.claims


def test_values_must_be_numbers_and_ids_unique():
    c = Claims("99", "book")
    with pytest.raises(ValueError, match="value must be a number"):
        c.add("a", slide="1", claim="x", value="0.3", op="<", threshold=1, unit="", control=None)
    c.add("a", slide="1", claim="x", value=0.3, op="<", threshold=1, unit="", control=None)
    with pytest.raises(ValueError, match="used twice"):
        c.add("a", slide="1", claim="x", value=0.3, op="<", threshold=1, unit="", control=None)
    with pytest.raises(ValueError, match="verdict must be one of"):
        c.report("b", slide="1", claim="x", value=1.0, unit="", verdict="maybe", rule="r")
    with pytest.raises(ValueError, match="control_value must be a number"):
        c.add("c", slide="1", claim="x", value=0.3, op="<", threshold=1, unit="", control="ctl")


def test_verdict_by_margin():
    assert verdict_by_margin(0.3, 0.1) == "supports"
    assert verdict_by_margin(-0.3, 0.1) == "contradicts"
    assert verdict_by_margin(0.05, 0.1) == "inconclusive"
    assert verdict_by_margin(-0.3, 0.1, direction=-1) == "supports"
    assert verdict_by_margin(math.nan, 0.1) == "inconclusive"
    with pytest.raises(ValueError, match="margin"):
        verdict_by_margin(0.3, -1)
