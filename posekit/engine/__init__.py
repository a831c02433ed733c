"""The training engine, shared by every trainable method.

A trainable model is a ``torch.nn.Module`` whose ``forward(batch["image"])`` returns the
network output, whose ``loss(output, batch)`` returns a scalar, and whose ``spec`` dict
rebuilds it (:func:`posekit.zoo.build_from_spec`). Datasets are map-style and give dicts
of arrays; a task supplies a ``validate(model) -> metrics`` function. Nothing here knows
about heatmaps, crops or keypoints.
"""
