"""Domain adaptation (the survey's section 3, "domain adaptation"): a network trained on one domain
(labelled source people) made to work on another without its labels.

- :mod:`.adabn`: Adaptive Batch Normalization (Li et al. 2016): every BatchNorm's statistics
  re-estimated on target images, nothing trained;
- :mod:`.mean_teacher`: self-training under a mean teacher (Tarvainen & Valpola 2017) with
  confidence-filtered pseudo-labels and strong augmentation, the recipe of domain-adaptive pose
  estimation (Mu et al. 2020; Kim et al. 2022).
"""
from __future__ import annotations

from .adabn import ADABN, adapt_batchnorm, batchnorm_layers
from .mean_teacher import MEAN_TEACHER, MeanTeacher, SelfTrainingSet, crop_batches, self_train

__all__ = ["ADABN", "MEAN_TEACHER", "adapt_batchnorm", "batchnorm_layers", "MeanTeacher", "SelfTrainingSet",
           "crop_batches", "self_train"]
