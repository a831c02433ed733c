"""Video (survey section 1.3): pose tracking, temporal smoothing, key-frame propagation, tracking metrics."""
