"""``posekit infer`` on a video or webcam: one JSONL line per frame and an overlay video."""
from __future__ import annotations

import sys
from pathlib import Path


def infer_video(estimator, item, out, args, skeleton) -> int:
    """Frame by frame: ``<key>.jsonl`` (``frame_id`` from 0) and ``overlays/<key>.mp4``; returns the poses."""
    import orjson
    from tqdm import tqdm

    from ..data.results import results_to_records
    from ..data.video import read_frames, video_info, write_video
    from ..errors import InputError
    from ..fileio import atomic_write
    from ..visualize import draw_poses

    source = item.path
    fps, total = video_info(source)
    if args.max_frames and total:
        total = min(total, args.max_frames)
    stem = Path(item.key).with_suffix("").as_posix()
    poses, notes = 0, []
    names = list(skeleton.names)
    with atomic_write(out.file(f"{stem}.jsonl")) as f:
        def overlays():
            nonlocal poses
            frames = tqdm(read_frames(source, args.max_frames, notes), total=total, desc=Path(stem).name, unit="frame")
            for frame_id, rgb in enumerate(frames):
                result = estimator.predict(rgb, image_id=frame_id)
                people = [{k: r[k] for k in ("keypoints", "score", "bbox")}
                          for r in results_to_records([result], view=skeleton)]
                f.write(orjson.dumps({"frame_id": frame_id, "skeleton": skeleton.name, "keypoint_names": names,
                                      "people": people}) + b"\n")
                poses += len(people)
                yield draw_poses(rgb, result, args.keypoint_threshold, skeleton=skeleton, boxes=args.draw_boxes)

        if args.no_overlays:
            frames = sum(1 for _ in overlays())
        else:
            frames = write_video(out.file(f"overlays/{stem}.mp4"), overlays(), fps)
        if frames == 0:
            raise InputError(f"{source}: no frame could be read")
    for note in notes:
        print(f"posekit infer: warning: {note}", file=sys.stderr)
    return poses
