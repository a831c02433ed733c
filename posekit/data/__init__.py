"""Datasets: readers and writers (COCO, MPII, CrowdPose, PoseTrack18), validation, synthetic people."""
