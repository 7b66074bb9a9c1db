"""Make the MediaPipe model files that ship in portrait3d_blender/mediapipe_models/.

    .venv/bin/python models/mediapipe_models.py [--out portrait3d_blender/mediapipe_models]

The models are Google's, Apache-2.0, taken from the mediapipe 0.10.21 wheel installed in the development
venv (its `modules/` folder; the 0.10.3x wheels that Python 3.13 needs carry no model files):

* selfie_segmentation.tflite and face_detection_short_range.tflite are copied as they are: the Tasks
  API's ImageSegmenter and FaceDetector read them directly. (The full-range face model works with the
  0.10.3x FaceDetector but not with 0.10.21's, whose anchors are fixed to the short-range model's
  128×128 input; one code path for every Blender means the short-range model.)
* face_landmark.tflite (Face Mesh: 468 landmarks with relative z) is copied as it is and run by OpenCV's
  DNN module (`core/face_landmarks.py`). The Tasks API's FaceLandmarker is no use for it: bundled with
  the short-range detector in a .task zip it loads and "finds" the face, but its graph expects the
  478-landmark model and reads this model's 468 x, y, z as x, y pairs (z comes back 0 everywhere,
  measured on the astronaut).
* pose_landmarker.task is made here. The Tasks API's PoseLandmarker wants a bundle of a detector and a
  landmark model whose image inputs carry NormalizationOptions metadata, which the legacy files lack;
  mediapipe's own metadata writer adds it with the normalisation each model was trained with (the
  legacy graphs' ImageToTensorCalculator ranges: [-1, 1] for the detector, [0, 1] for the landmarks).

The output is byte-for-byte reproducible (fixed zip timestamps), and tests/core/test_segment.py checks
the committed files against a fresh run of this script.
"""

import argparse
import io
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "portrait3d_blender" / "mediapipe_models"
MEDIAPIPE_VERSION = "0.10.21"

COPIED = {
    "selfie_segmentation.tflite": "selfie_segmentation/selfie_segmentation.tflite",
    "face_detection_short_range.tflite": "face_detection/face_detection_short_range.tflite",
    "face_landmark.tflite": "face_landmark/face_landmark.tflite",
}
# Bundle member name → (legacy file, normalisation mean, std, number of outputs).
POSE_BUNDLE = {
    "pose_detector.tflite": ("pose_detection/pose_detection.tflite", 127.5, 127.5, 2),
    "pose_landmarks_detector.tflite": ("pose_landmark/pose_landmark_full.tflite", 0.0, 255.0, 5),
}
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def mediapipe_modules():
    import mediapipe

    if mediapipe.__version__ != MEDIAPIPE_VERSION:
        sys.exit(f"mediapipe {MEDIAPIPE_VERSION} is needed (its wheel has the model files), found {mediapipe.__version__}")
    return Path(mediapipe.__file__).parent / "modules"


def with_image_metadata(model, name, mean, std, outputs):
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model)).add_general_info(name)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(outputs):
        writer.add_feature_output()
    return bytes(writer.populate()[0])


def pose_bundle(modules):
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import AlignZipFile

    buffer = io.BytesIO()
    # Stored (not deflated) and 4-byte aligned, as the Tasks runtime maps the members in place.
    with AlignZipFile(buffer, mode="w", alignment=4) as bundle:
        for member, (legacy, mean, std, outputs) in POSE_BUNDLE.items():
            model = with_image_metadata((modules / legacy).read_bytes(), Path(member).stem, mean, std, outputs)
            bundle.writestr(zipfile.ZipInfo(member, date_time=ZIP_DATE), model)
    return buffer.getvalue()


def write_models(out):
    modules = mediapipe_modules()
    out.mkdir(parents=True, exist_ok=True)
    for name, legacy in COPIED.items():
        shutil.copyfile(modules / legacy, out / name)
    (out / "pose_landmarker.task").write_bytes(pose_bundle(modules))
    shutil.copyfile(modules.parent.parent / f"mediapipe-{MEDIAPIPE_VERSION}.dist-info" / "LICENSE", out / "LICENSE")
    return sorted(p.name for p in out.iterdir())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for name in write_models(args.out):
        print(args.out / name)


if __name__ == "__main__":
    main()
