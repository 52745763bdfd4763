"""``rapport ui insights``: read-only web pages over the published copy (docs/insights.md)."""
