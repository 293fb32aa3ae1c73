"""Shared plumbing for the security baseline: settings, naming, validation, offline engine."""
