"""Test helpers for connector authors: the conformance suite and public pytest fixtures."""
