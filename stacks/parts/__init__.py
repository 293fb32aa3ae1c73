"""Tier building blocks: each part wires one group of components from settings."""
