"""Top-down methods (survey section 1): a person detector, then a single-person estimator per crop."""
