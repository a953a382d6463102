"""The Jobs page's time left: from the form's estimate, refined by measured epochs."""
import pytest

from studies.office.progress import TRUST_AT, remaining_s


def test_before_any_work_the_estimate_counts_down():
    assert remaining_s(120.0, 0.0, 0.0) == 120.0
    assert remaining_s(120.0, 0.0, 30.0) == 90.0
    assert remaining_s(120.0, 0.0, 500.0) == 0.0            # late: never negative
    assert remaining_s(None, 0.0, 10.0) is None


def test_a_slow_start_does_not_blow_up_the_first_eta():
    """The reported case: 84 s in all, 5 s of start-up for 2 % of the work; the pace alone says 245 s
    (and ≈ 8 h with a sliver less); the blend stays near the estimate."""
    pace_only = 5.0 * 0.98 / 0.02
    left = remaining_s(120.0, 0.02, 5.0)
    assert left == pytest.approx(0.92 * 117.6 + 0.08 * pace_only)
    assert left < 130 < pace_only


def test_past_the_trust_share_the_measured_pace_decides():
    # a job estimated at 120 s that in truth runs at 84 s: half-way after 42 s, 42 s are left
    assert remaining_s(120.0, 0.5, 42.0) == pytest.approx(42.0)
    assert remaining_s(120.0, TRUST_AT, 21.0) == pytest.approx(21.0 * 3)
    assert remaining_s(None, 0.5, 42.0) == pytest.approx(42.0)
    assert remaining_s(120.0, 1.0, 84.0) == 0.0


def test_the_blend_moves_monotonically_from_estimate_to_pace():
    lefts = [remaining_s(100.0, s, 100.0 * s * 2) for s in (0.01, 0.05, 0.1, 0.2, 0.3)]   # truly 2× slower
    truth = [100.0 * 2 * (1 - s) for s in (0.01, 0.05, 0.1, 0.2, 0.3)]
    errors = [abs(a - b) / b for a, b in zip(lefts, truth)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-9
