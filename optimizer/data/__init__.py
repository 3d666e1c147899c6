"""Loaders: build domain objects (organisations, calendars, holidays) from files."""
