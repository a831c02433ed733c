"""Bottom-up estimation (survey section 2): every keypoint of the image first, then grouping into people.

Part affinity fields (OpenPose, Cao et al. 2017) are the first family: :mod:`.openpose` (the
estimator), :class:`.model.PAFModel` (a part-field network + :class:`~posekit.codecs.paf.PAFCodec`,
trained with masked MSE on every stage), :mod:`.dataset` (whole images, resize and pad,
augmentation, targets from the codec) and :mod:`.training` (the ``posekit train`` driver of the
"bottom-up" family).
"""
