"""Extraction: bring a source (sample, export folder, PostgreSQL, mail archive) into the landing zone."""
