"""Top-down estimation (survey §3.1): detect people, crop each box, estimate one pose per crop."""
