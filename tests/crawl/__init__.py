"""The canary crawl (tests/test_canary_crawl.py): its rules, fixture, crawler and checks."""
