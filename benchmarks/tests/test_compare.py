"""`make bench` fails on a difference in gold, not on a baseline that ran out of memory (pandas nationally)."""

from benchmarks.compare import DID_NOT_COMPLETE, all_identical


def test_a_baseline_that_ran_out_of_memory_is_no_difference_in_gold():
    assert all_identical({"floor: fixi_pieken": True, "pandas: fixi_meldingen_week": DID_NOT_COMPLETE})


def test_any_difference_in_gold_is_one():
    assert not all_identical({"floor: fixi_pieken": False, "pandas: fixi_meldingen_week": DID_NOT_COMPLETE})
    assert not all_identical({"floor: fixi_pieken": True, "pandas: fixi_meldingen_week": False})
