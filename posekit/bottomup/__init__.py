"""Bottom-up estimation (survey section 2): every keypoint of the image first, then grouping into people."""
