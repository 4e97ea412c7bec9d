"""The scope bar's time ranges (SH-03) and refresh intervals (SH-04)."""

from __future__ import annotations

from mesh.views.common import TIME_RANGES, refresh_of, time_ranges


def test_ranges_longer_than_retention_or_shorter_than_two_scrapes_are_hidden():
    seconds = [s for s, _ in time_ranges(scrape_interval=60, retention=6 * 3600)]
    assert seconds == [300, 600, 1800, 3600, 10800, 21600]  # no 1m (one scrape), no 12h
    assert [s for s, _ in time_ranges(15, 30 * 86400)] == [s for s, _ in TIME_RANGES]
    assert time_ranges(600, 60) == [TIME_RANGES[0]]  # nothing fits: the shortest, not nothing


def test_refresh_comes_from_the_url_else_the_configured_default():
    assert refresh_of({"refresh": "10000"}, "1m") == 10000
    assert refresh_of({"refresh": "0"}, "1m") == 0  # paused, said in the URL
    assert refresh_of({}, "1m") == 60000
    assert refresh_of({"refresh": "12345"}, "5m") == 300000  # not a choice: the default
    assert refresh_of({}, "7s") == 0 and refresh_of({}, "soon") == 0
