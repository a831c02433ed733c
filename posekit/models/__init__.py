"""Networks: backbones (feature extractors), heads (features -> codec targets) and losses.

Everything under here imports torch; import it only where a model is needed.
"""
