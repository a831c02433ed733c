"""Model compression and deployment (survey section 1.4): export to ONNX (fp32, fp16), int8
quantization, and knowledge distillation of a trained teacher into a smaller student
(:mod:`.distill`: FPD, Zhang et al. 2019; :mod:`.dwpose`: DWPose's feature and logit losses, Yang
et al. 2023; :mod:`.cross_distill`: a heatmap teacher into a SimCC student)."""
