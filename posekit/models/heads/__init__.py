"""Heads: backbone features -> the tensor a codec decodes."""
