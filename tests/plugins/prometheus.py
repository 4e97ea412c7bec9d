"""Placeholder until this plugin lands; replaced by its owner."""
