"""Model compression and deployment (survey section 1.4): export to ONNX; distillation and
lighter backbones build on it."""
