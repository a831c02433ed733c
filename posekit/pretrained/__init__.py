"""Pretrained networks that work offline: readers of foreign formats (TFLite), the readable
networks they fill, and a cache of converted weights. Nothing here knows about pipelines:
``posekit.load`` (:mod:`posekit.estimators`) builds estimators on top of it.
"""
