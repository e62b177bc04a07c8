"""Billing's dashboard pages (routed in billing/page_urls.py)."""
