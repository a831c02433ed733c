"""Evaluation: COCO keypoint AP/AR (pycocotools-exact), PCK, PCKh, AUC and EPE."""
from .coco import evaluate_coco
from .coco_eval import STAT_NAMES, CocoEvalParams, CocoKeypointEval

__all__ = ["evaluate_coco", "CocoEvalParams", "CocoKeypointEval", "STAT_NAMES"]
