"""Backbones: image (N, 3, H, W) -> feature map (N, C, H/stride, W/stride); each has ``out_channels``."""
